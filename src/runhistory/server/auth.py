"""Token checks of a server started with auth on: reads need ``read``, writes ``write``.

Health needs no token. The scope follows the method: GET and HEAD read, everything else writes.
A request carries its token as a bearer header, or (the studio in a browser) as the HttpOnly
session cookie that ``POST /login`` sets: ``EventSource`` and downloads cannot send headers, and a
token in a URL would end up in logs and histories.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from runhistory.errors import AuthenticationError, PermissionDeniedError
from runhistory.server.tokens import TokenStore

_READING = frozenset({"GET", "HEAD", "OPTIONS"})
_BEARER = HTTPBearer(auto_error=False, description="A token from 'runhistory token create'.")
SESSION_COOKIE = "runhistory_session"


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
    token = request_token(request, credentials)
    if token is None:
        raise AuthenticationError(
            "this server needs a token: send 'Authorization: Bearer rh_...' "
            "(RUNHISTORY_TOKEN for the Python client), or sign in to the studio"
        )
    record = tokens.verify(token)
    scope = required_scope(request.method)
    if not record.allows(scope):
        raise PermissionDeniedError(
            f"token {record.id!r} ({record.name}) has scopes {list(record.scopes)}; "
            f"{request.method} {request.url.path} needs '{scope}'"
        )


def request_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The token of a request: its bearer header, else its studio session cookie."""
    if credentials is not None and credentials.credentials.strip():
        return credentials.credentials.strip()
    cookie = request.cookies.get(SESSION_COOKIE, "").strip()
    return cookie or None
