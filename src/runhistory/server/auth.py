"""Bearer-token checks of a server started with auth on: reads need ``read``, writes ``write``.

Health needs no token. The scope follows the method: GET and HEAD read, everything else writes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from runhistory.errors import AuthenticationError, PermissionDeniedError
from runhistory.server.tokens import TokenStore

_READING = frozenset({"GET", "HEAD", "OPTIONS"})
_BEARER = HTTPBearer(auto_error=False, description="A token from 'runhistory token create'.")


def required_scope(method: str) -> str:
    return "read" if method.upper() in _READING else "write"


def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> None:
    """A dependency of every router but health: refuse requests without a fitting token."""
    tokens: TokenStore | None = request.app.state.tokens
    if tokens is None:
        return
    if credentials is None or not credentials.credentials.strip():
        raise AuthenticationError(
            "this server needs a token: send 'Authorization: Bearer rh_...' "
            "(RUNHISTORY_TOKEN for the Python client)"
        )
    record = tokens.verify(credentials.credentials.strip())
    scope = required_scope(request.method)
    if not record.allows(scope):
        raise PermissionDeniedError(
            f"token {record.id!r} ({record.name}) has scopes {list(record.scopes)}; "
            f"{request.method} {request.url.path} needs '{scope}'"
        )
