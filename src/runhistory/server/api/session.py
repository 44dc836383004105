"""The studio's session: what the server is (``GET /studio/info``, open to all) and, on a server
with auth, signing in and out of a browser session.

``POST /login`` checks a token once and sets it as an HttpOnly, SameSite=Strict cookie for the
browser session; every route then accepts that cookie as it accepts a bearer header (see
``auth.py``). The token is never put in a URL, and the cookie cannot be read by scripts.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field
from starlette.responses import Response

from runhistory import __version__
from runhistory.errors import AuthenticationError
from runhistory.server.auth import SESSION_COOKIE, request_token
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.tokens import TokenStore

router = APIRouter(tags=["studio"])


class StudioInfo(BaseModel):
    version: str
    workspace: str = Field(description="the workspace or database served (without passwords)")
    auth: bool = Field(description="whether requests need a token")
    signed_in: bool = Field(description="whether this request carries a valid token")


class Login(BaseModel):
    token: str = Field(min_length=1, max_length=1000, description="a token ('rh_...')")


@router.get("/studio/info", response_model=StudioInfo)
def studio_info(request: Request) -> StudioInfo:
    # The header is read here, not declared: this route is open to requests without a token.
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    bearer = HTTPAuthorizationCredentials(scheme=scheme, credentials=value)
    tokens: TokenStore | None = request.app.state.tokens
    signed_in = tokens is None
    token = request_token(request, bearer if scheme.lower() == "bearer" else None)
    if tokens is not None and token is not None:
        try:
            tokens.verify(token)
            signed_in = True
        except AuthenticationError:
            signed_in = False
    location = str(request.app.state.settings.workspace or request.app.state.store.location)
    return StudioInfo(
        version=__version__,
        workspace=hide_password(location),
        auth=tokens is not None,
        signed_in=signed_in,
    )


@router.post("/login", status_code=204, responses=error_responses(401, *JSON_BODY))
def login(body: Login, request: Request, response: Response) -> None:
    """Check ``token`` and keep it for this browser session as an HttpOnly cookie (a server
    without auth needs no sign-in, and sets none)."""
    tokens: TokenStore | None = request.app.state.tokens
    if tokens is None:
        return
    tokens.verify(body.token.strip())
    response.set_cookie(
        SESSION_COOKIE,
        body.token.strip(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.post("/logout", status_code=204)
def logout(response: Response) -> None:
    """End the browser session: the cookie is cleared."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def hide_password(location: str) -> str:
    """``location`` without a password: ``postgresql://me:secret@db/x`` -> ``postgresql://me@db/x``."""
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^/:@]*):[^/@]*@", r"\1@", location)
