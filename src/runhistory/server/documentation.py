"""The API's own description (``/openapi.json``, ``/docs``, ``/redoc``) behind a read token.

With auth on, the document tells what the server holds and how to reach it, so it is served
like any other read: a token with scope ``read``. Without auth FastAPI serves these pages
itself. Swagger UI and ReDoc fetch ``/openapi.json`` from the browser, so behind auth they work
where something adds the token to each request (a proxy, a browser extension).
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from runhistory.server.auth import require_token

OPENAPI_URL = "/openapi.json"


def serve_guarded_documentation(app: FastAPI) -> None:
    """Serve the document and its two viewers on ``app`` (built with ``openapi_url=None``),
    each needing a read token."""
    guarded = [Depends(require_token)]

    @app.get(OPENAPI_URL, include_in_schema=False, dependencies=guarded)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=guarded)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_URL, title=f"{app.title} - Swagger UI")

    @app.get("/redoc", include_in_schema=False, dependencies=guarded)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=OPENAPI_URL, title=f"{app.title} - ReDoc")
