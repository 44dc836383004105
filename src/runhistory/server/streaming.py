"""Request bodies to temporary files and stored files to (ranged) responses, block by block.

An upload is spooled (in memory up to ``SPOOL_MEMORY``, then on disk) before it reaches the
store, which needs a blocking stream; a download is read from the store a block at a time.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from typing import BinaryIO, cast

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runhistory.errors import InvalidValueError
from runhistory.server.encoding import error_document, json_response

BLOCK = 1024 * 1024
SPOOL_MEMORY = 8 * 1024 * 1024
MAX_UPLOAD_BYTES = 64 * 1024**3

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def spool_body(request: Request) -> BinaryIO:
    """The request body in a temporary file positioned at its start."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 (returned)
    size = 0
    try:
        async for block in request.stream():
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                raise InvalidValueError(
                    f"the upload is larger than {MAX_UPLOAD_BYTES} bytes; split it into files"
                )
            spool.write(block)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return cast(BinaryIO, spool)


def stream_file(
    source: BinaryIO, size: int, content_type: str, range_header: str | None
) -> Response:
    """``source`` (``size`` bytes) as a response, or the part a ``Range: bytes=a-b`` asks for.

    A Range header that is not one valid byte range is ignored (the whole file, as RFC 9110
    allows); a valid one that starts past the end is refused (416)."""
    headers = {"Accept-Ranges": "bytes"}
    start, end = 0, size - 1
    status = 200
    wanted = _parse_range(range_header) if range_header else None
    if wanted is not None:
        fitted = _fit_range(wanted, size)
        if fitted is None:
            source.close()
            problem = InvalidValueError(
                f"range {_preview(range_header or '')} lies outside the file of {size} bytes; "
                f"ask for bytes below {size}"
            )
            refused = json_response(error_document(problem), 416)
            refused.headers["Content-Range"] = f"bytes */{size}"
            return refused
        start, end = fitted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(end - start + 1, 0))
    return StreamingResponse(
        _blocks(source, start, end + 1),
        status_code=status,
        media_type=content_type,
        headers=headers,
    )


def _parse_range(header: str) -> tuple[int | None, int | None] | None:
    """(first, last) of a single byte range, either may be open; None when it is not one."""
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first = _byte_position(match.group(1)) if match.group(1) else None
    last = _byte_position(match.group(2)) if match.group(2) else None
    if first is not None and last is not None and last < first:
        return None
    return first, last


def _preview(header: str) -> str:
    return repr(header) if len(header) <= 60 else repr(header[:57] + "...")


def _byte_position(digits: str) -> int:
    """A position of a Range header; any past 2**63 counts as 2**63 (no file is that long), so
    thousands of digits neither hit Python's limit on converting them nor cost time."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 19 else 2**63


def _fit_range(wanted: tuple[int | None, int | None], size: int) -> tuple[int, int] | None:
    """(first, last) byte of ``wanted`` within the file; None when none of it is there."""
    first, last = wanted
    if first is None:
        assert last is not None  # a suffix range: the last ``last`` bytes
        return None if last == 0 or size == 0 else (max(size - last, 0), size - 1)
    if first >= size:
        return None
    return first, size - 1 if last is None else min(last, size - 1)


def _blocks(source: BinaryIO, start: int, stop: int) -> Iterator[bytes]:
    try:
        if start:
            source.seek(start)
        remaining = stop - start
        while remaining > 0:
            block = source.read(min(BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        source.close()
