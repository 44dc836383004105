"""The built studio (``runhistory/ui``, made by ``npm run build`` in ``web/``) served at ``/``.

Hashed assets (``/assets/index-3f2a.js``) are cached for a year and sent gzipped to browsers that
accept it; every other path that is not the API answers ``index.html`` (not cached), so that the
studio's own routes (``/experiments/demo``, ``/runs/abc?tab=logs``) load on a reload or from a
shared link. Without a build, ``/`` answers a page that says how to make one.
"""

from __future__ import annotations

import functools
import gzip
import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.responses import HTMLResponse, Response

from runhistory.errors import NotFoundError

UI_FOLDER = Path(__file__).resolve().parent.parent / "ui"
_IMMUTABLE = "public, max-age=31536000, immutable"
_COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".html", ".map", ".txt")

MISSING_BUILD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>runhistory: studio not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 44rem; margin: 4rem auto">
<h1>The studio is not built</h1>
<p>This server answers its API under <a href="/api/v1/health">/api/v1</a>
(<a href="/docs">OpenAPI</a>), but the web studio has not been built into
<code>{folder}</code>.</p>
<p>Build it from a clone of runhistory with <code>scripts/setup</code>, or with
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (Node 20), then reload this page.
An installed package (<code>pip install runhistory</code>) includes it.</p>
</body></html>
"""


class StudioPathConvertor(PathConvertor):
    """Any path but the API's, so that API paths keep their own 404s and 405s."""

    regex = r"(?!api(?:/|$)).*"


register_url_convertor("studio", StudioPathConvertor())


def mount_studio(app: FastAPI, folder: Path = UI_FOLDER) -> None:
    """Serve the studio of ``folder`` at ``/``: add this after the API routes."""

    @app.get("/assets/{name:path}", include_in_schema=False)
    def studio_asset(name: str, request: Request) -> Response:
        path = _inside(folder / "assets", name)
        if path is None:
            raise NotFoundError(f"the studio has no asset {name!r}; reload the page")
        body, content_type = _read(path)
        headers = {"Cache-Control": _IMMUTABLE, "Vary": "Accept-Encoding"}
        if path.suffix in _COMPRESSIBLE and "gzip" in request.headers.get("accept-encoding", ""):
            body = _gzipped(path)
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=content_type, headers=headers)

    @app.get("/{route:studio}", include_in_schema=False)
    def studio_page(route: str) -> Response:
        index = folder / "index.html"
        if not index.is_file():
            return HTMLResponse(MISSING_BUILD.format(folder=folder), status_code=503)
        top = _inside(folder, route) if route and "/" not in route else None
        if top is not None and top.name != "index.html":
            body, content_type = _read(top)
            return Response(body, media_type=content_type, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(index.read_bytes(), headers={"Cache-Control": "no-cache"})


def _inside(folder: Path, name: str) -> Path | None:
    """The file ``name`` under ``folder``, or None (absent, a folder, or outside it)."""
    try:
        path = (folder / name).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_file() or not path.is_relative_to(folder.resolve()):
        return None
    return path


def _read(path: Path) -> tuple[bytes, str]:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.read_bytes(), content_type


@functools.lru_cache(maxsize=64)
def _gzipped(path: Path) -> bytes:
    # Assets are named by their content's hash, so one compression per process will do.
    return gzip.compress(path.read_bytes(), compresslevel=9)
