"""MLflow's artifact endpoints: ``artifacts/list`` of the tracking API, and the artifact proxy
``/api/2.0/mlflow-artifacts/artifacts/...`` that clients upload to and download from.

A run's artifact URI is ``mlflow-artifacts:/<experiment id>/<run id>/artifacts``; the proxy path
``<experiment id>/<run id>/artifacts/<name>`` is file ``<name>`` of the run, so files logged
through MLflow and files of native runs are the same thing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from runhistory.errors import ArtifactNotFoundError, InvalidValueError
from runhistory.model import ArtifactRecord, validate_artifact_name
from runhistory.server.encoding import json_response
from runhistory.server.mlflow.protocol import (
    MlflowStore,
    artifact_uri,
    mlflow_store,
    optional_string,
    read_message,
    required_string,
)
from runhistory.server.mlflow.runs import get_run
from runhistory.server.streaming import spool_body, stream_file

router = APIRouter()
proxy = APIRouter()
# The MLflow UI downloads a run's file from the server's root.
ui = APIRouter()


def checked_path(path: str) -> str:
    if path.startswith("/") or ".." in path.split("/") or "\\" in path:
        raise InvalidValueError("Invalid path")
    return path


def listing(store: MlflowStore, run_id: str, folder: str) -> list[dict[str, Any]]:
    """The files and folders directly in ``folder`` of the run, as MLflow's ``FileInfo``."""
    folder = folder.strip("/")
    prefix = f"{folder}/" if folder else ""
    records: list[ArtifactRecord] = store.list_artifacts(run_id, prefix or None)
    entries: dict[str, dict[str, Any]] = {}
    for record in records:
        if not record.name.startswith(prefix):
            continue
        rest = record.name[len(prefix) :]
        head, slash, _ = rest.partition("/")
        path = prefix + head
        if slash:
            entries.setdefault(path, {"path": path, "is_dir": True})
        else:
            entries[path] = {"path": path, "is_dir": False, "file_size": record.size}
    return sorted(entries.values(), key=lambda e: str(e["path"]))


@router.get("/artifacts/list")
async def list_artifacts(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    folder = optional_string(fields, "path") or ""
    checked_path(folder)
    store = mlflow_store(request)

    def read() -> dict[str, Any]:
        record = get_run(store, run_id)
        return {"root_uri": artifact_uri(record), "files": listing(store, run_id, folder)}

    return json_response(await run_in_threadpool(read))


def run_file(path: str) -> tuple[str, str]:
    """(run id, file name) of a proxy path ``<experiment id>/<run id>/artifacts/<name>``;
    the name is empty for the run's artifact root."""
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[2] != "artifacts":
        raise InvalidValueError(
            f"artifact path {path!r} is not of the form <experiment id>/<run id>/artifacts/<name>"
        )
    name = "/".join(parts[3:])
    if name:
        validate_artifact_name(name)
    return parts[1], name


@proxy.get("/artifacts")
async def proxy_list(request: Request) -> Response:
    fields = await read_message(request)
    path = optional_string(fields, "path") or ""
    store = mlflow_store(request)
    if not path.strip("/"):
        return json_response({})
    run_id, folder = run_file(path)

    def read() -> list[dict[str, Any]]:
        get_run(store, run_id)
        prefix = f"{folder}/" if folder else ""
        # The proxy lists paths relative to the folder asked for.
        return [{**e, "path": e["path"][len(prefix) :]} for e in listing(store, run_id, folder)]

    files = await run_in_threadpool(read)
    return json_response({"files": files} if files else {})


@proxy.put("/artifacts/{path:path}")
async def proxy_upload(path: str, request: Request) -> Response:
    run_id, name = run_file(path)
    if not name:
        raise InvalidValueError(f"artifact path {path!r} names no file")
    store = mlflow_store(request)
    await run_in_threadpool(get_run, store, run_id)
    with await spool_body(request) as body:
        await run_in_threadpool(store.add_artifact, run_id, name, body)
    return json_response({})


@proxy.get("/artifacts/{path:path}")
async def proxy_download(
    path: str, request: Request, range: Annotated[str | None, Header()] = None
) -> Response:
    run_id, name = run_file(path)
    store = mlflow_store(request)

    def open_file() -> Response:
        get_run(store, run_id)
        try:
            record = store.get_artifact(run_id, name)
        except ArtifactNotFoundError:
            raise ArtifactNotFoundError(f"File {name!r} of run {run_id} does not exist") from None
        return stream_file(
            store.open_artifact(run_id, name), record.size, record.content_type, range
        )

    return await run_in_threadpool(open_file)


@proxy.delete("/artifacts/{path:path}")
async def proxy_delete(path: str) -> Response:
    raise InvalidValueError(
        f"artifact {path!r} cannot be deleted: runhistory keeps run files immutable"
    )


@router.post("/upload-artifact")
async def upload_file(request: Request) -> Response:
    """The MLflow UI's upload of one file (the body) as ``path`` of run ``run_uuid``."""
    run_id = request.query_params.get("run_uuid")
    if not run_id:
        raise InvalidValueError("Request must specify run_uuid.")
    path = request.query_params.get("path")
    if not path:
        raise InvalidValueError("Request must specify path.")
    name = validate_artifact_name(checked_path(path))
    store = mlflow_store(request)
    await run_in_threadpool(get_run, store, run_id)
    with await spool_body(request) as body:
        if not body.read(1):
            raise InvalidValueError("Request must specify data.")
        body.seek(0)
        await run_in_threadpool(store.add_artifact, run_id, name, body)
    return json_response({})


@ui.get("/get-artifact")
async def download_file(
    request: Request, range: Annotated[str | None, Header()] = None
) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    name = validate_artifact_name(checked_path(required_string(fields, "path")))
    store = mlflow_store(request)

    def open_file() -> Response:
        get_run(store, run_id)
        record = store.get_artifact(run_id, name)
        return stream_file(
            store.open_artifact(run_id, name), record.size, record.content_type, range
        )

    return await run_in_threadpool(open_file)
