"""The FastAPI app: ``create_app(settings)`` serves one store under ``/api/v1``.

Routes are thin (validate, call the store, return); every ``RunHistoryError`` becomes a JSON body
``{error_code, message}`` with the class's HTTP status, so ``RestStore`` can raise the same class.

>>> import tempfile
>>> from runhistory.settings import Settings
>>> app = create_app(Settings(workspace=tempfile.mkdtemp()))
>>> "/api/v1/health" in app.openapi()["paths"]
True
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from runhistory import __version__
from runhistory.errors import (
    InvalidValueError,
    NotFoundError,
    RunHistoryError,
)
from runhistory.server.api import (
    artifacts,
    events,
    experiments,
    health,
    logs,
    metrics,
    models,
    runs,
    session,
    snapshots,
    studio,
)
from runhistory.server.auth import require_token
from runhistory.server.documentation import serve_guarded_documentation
from runhistory.server.encoding import NanJSONResponse, error_document, json_response
from runhistory.server.ingest import BatchIngest
from runhistory.server.limits import BodyLimit
from runhistory.server.mlflow.protocol import is_mlflow_path, mlflow_error
from runhistory.server.responses import error_responses
from runhistory.server.studio_files import mount_studio
from runhistory.server.tokens import TokenStore
from runhistory.settings import Settings
from runhistory.store.base import Store

log = logging.getLogger("runhistory.server")

API_PREFIX = "/api/v1"
ROUTERS = (experiments, runs, metrics, logs, artifacts, snapshots, models, events, studio)
# Open to every request: health, and the studio's description of the server and its sign-in.
OPEN_ROUTERS = (health, session)


def create_app(settings: Settings, store: Store | None = None, *, auth: bool = False) -> FastAPI:
    """The server app over ``store``, or over the workspace ``settings`` names. With ``auth``,
    every route but health needs a bearer token of the right scope (see ``tokens.py``)."""
    if store is None:
        store = open_server_store(settings)
    app = FastAPI(
        title="runhistory",
        version=__version__,
        description="Run history for machine learning: experiments, runs, metrics, files.",
        default_response_class=NanJSONResponse,
        # With auth, the document and its viewers are served behind a read token below.
        openapi_url=None if auth else "/openapi.json",
        docs_url=None if auth else "/docs",
        redoc_url=None if auth else "/redoc",
    )
    if auth:
        serve_guarded_documentation(app)
    app.state.settings = settings
    app.state.store = store
    app.state.ingest = BatchIngest(store)
    app.state.tokens = token_store(store) if auth else None
    # Only a server with auth on declares the bearer scheme and its refusals in its document.
    guarded = [Depends(require_token)] if auth else []
    refusals = error_responses(401, 403) if auth else None
    for module in ROUTERS:
        app.include_router(
            module.router, prefix=API_PREFIX, dependencies=guarded, responses=refusals
        )
    for module in OPEN_ROUTERS:
        app.include_router(module.router, prefix=API_PREFIX)
    from runhistory.server.mlflow import include_mlflow_routes

    include_mlflow_routes(app, guarded)
    app.add_exception_handler(RunHistoryError, _runhistory_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    mount_studio(app)
    app.router.on_shutdown.append(store.close)
    return app


def open_server_store(settings: Settings) -> Store:
    """The store of ``settings.workspace`` (a folder or database URL) and ``settings.artifacts``."""
    from runhistory.sdk.workspace import Workspace

    if settings.workspace is None:
        raise InvalidValueError(
            "the server needs a store: pass --store URL (a database URL or a workspace folder)"
        )
    return Workspace(settings.workspace, artifacts=settings.artifacts, settings=settings).store


def token_store(store: Store) -> TokenStore:
    """The tokens kept in the database of ``store`` (a SQL store)."""
    db = getattr(store, "db", None)
    if db is None:
        raise InvalidValueError(f"auth needs a database store; {store.location} is not one")
    return TokenStore(db)


async def _runhistory_error(request: Request, error: RunHistoryError) -> NanJSONResponse:
    if is_mlflow_path(request.url.path):
        response = json_response(*mlflow_error(error))
    else:
        response = json_response(error_document(error), error.http_status)
    if error.http_status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _validation_error(request: Request, error: RequestValidationError) -> NanJSONResponse:
    problems = "; ".join(_validation_problem(e) for e in error.errors())
    message = f"the request was refused: {problems}"
    return json_response({"error_code": InvalidValueError.error_code, "message": message}, 422)


def _validation_problem(problem: dict[str, Any]) -> str:
    """Where in the request, what is wrong, and the value refused (when one was sent)."""
    where = ".".join(str(part) for part in problem.get("loc", ()))
    text = f"{where}: {problem.get('msg', '')}"
    # A failed check of ours (value_error) quotes the value itself.
    if problem.get("type") not in ("missing", "value_error") and "input" in problem:
        sent = repr(problem["input"])
        text += f" (got {sent if len(sent) <= 60 else sent[:57] + '...'})"
    return text


async def _http_error(request: Request, error: HTTPException) -> NanJSONResponse:
    if is_mlflow_path(request.url.path) and error.status_code == 404:
        message = f"No endpoint {request.method} {request.url.path} in runhistory's MLflow API"
        return json_response({"error_code": "ENDPOINT_NOT_FOUND", "message": message}, 404)
    codes: dict[int, Any] = {404: NotFoundError, 400: InvalidValueError}
    cls = codes.get(error.status_code)
    code = cls.error_code if cls is not None else f"http_{error.status_code}"
    message = f"{request.method} {request.url.path}: {error.detail}"
    response = json_response({"error_code": code, "message": message}, error.status_code)
    response.headers.update(error.headers or {})
    if error.status_code == 405:
        # Starlette names the methods of the first route of the path; a path served by
        # several routes (GET and PATCH of a run) allows the methods of all of them.
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """The methods the routes of the request's path answer."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _unexpected_error(request: Request, error: Exception) -> NanJSONResponse:
    log.exception("unexpected error serving %s %s", request.method, request.url.path)
    code = RunHistoryError.error_code
    message = f"the server failed on {request.method} {request.url.path}: {error!r}"
    return json_response({"error_code": code, "message": message}, 500)
