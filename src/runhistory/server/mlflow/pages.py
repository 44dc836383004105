"""Page tokens of MLflow listings: an opaque base64 of the offset of the next page.

>>> page, token = page_of(list(range(5)), 2, None)
>>> page, page_of(list(range(5)), 2, token)[0]
([0, 1], [2, 3])
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import TypeVar

from runhistory.errors import InvalidValueError

Item = TypeVar("Item")


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidValueError(
            f"Invalid page token {token!r}: pass the next_page_token of a previous response"
        ) from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidValueError(f"Invalid page token {token!r}: the offset must be >= 0")
    return offset


def page_of(items: Sequence[Item], size: int, token: str | None) -> tuple[list[Item], str | None]:
    """The page ``token`` points at, and the token of the next page (None after the last)."""
    start = decode_token(token)
    page = list(items[start : start + size])
    return page, encode_token(start + size) if start + size < len(items) else None
