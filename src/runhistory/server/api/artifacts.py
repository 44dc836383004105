"""Files of runs (streamed up, streamed or ranged down) and content-addressed snapshot blobs."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from runhistory.errors import ArtifactNotFoundError
from runhistory.server.dependencies import StoreDependency
from runhistory.server.encoding import artifact_json, json_response
from runhistory.server.fields import ArtifactName
from runhistory.server.responses import error_responses
from runhistory.server.schemas import ArtifactDocument, BlobDocument
from runhistory.server.streaming import spool_body, stream_file
from runhistory.snapshot import BLOB_PREFIX

router = APIRouter(tags=["artifacts"], responses=error_responses(422))

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="64 lowercase hex digits")]
_BINARY = {
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
}
# A run file is served with the media type it was stored with (text/plain, image/png, ...).
_FILE = {"content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
# The file's bytes; an empty file is an empty body, so the body may be missing.
_UPLOAD = {"required": False, "description": "the file's bytes", **_BINARY}


@router.get(
    "/runs/{run_id}/artifacts",
    response_model=list[ArtifactDocument],
    responses=error_responses(404),
)
def list_artifacts(
    run_id: str, store: StoreDependency, prefix: Annotated[str | None, Query()] = None
) -> Response:
    store.get_run(run_id)
    return json_response([artifact_json(a) for a in store.list_artifacts(run_id, prefix)])


@router.put(
    "/runs/{run_id}/artifacts/{name:path}",
    response_model=ArtifactDocument,
    responses=error_responses(400, 404, 409),
    openapi_extra={"requestBody": _UPLOAD},
)
async def upload_artifact(
    run_id: str,
    name: ArtifactName,
    request: Request,
    store: StoreDependency,
    fail_if_different: Annotated[bool, Query()] = True,
) -> Response:
    """Store the request body as file ``name`` of the run (the same content again is a no-op)."""
    await run_in_threadpool(store.get_run, run_id)
    with await spool_body(request) as body:
        record = await run_in_threadpool(
            store.add_artifact, run_id, name, body, fail_if_different=fail_if_different
        )
    return json_response(artifact_json(record))


@router.get(
    "/runs/{run_id}/artifact-records/{name:path}",
    response_model=ArtifactDocument,
    responses=error_responses(404),
)
def get_artifact(run_id: str, name: str, store: StoreDependency) -> Response:
    return json_response(artifact_json(store.get_artifact(run_id, name)))


@router.get(
    "/runs/{run_id}/artifacts/{name:path}",
    response_class=StreamingResponse,
    responses={200: _FILE, 206: _FILE, **error_responses(404, 416)},
)
def download_artifact(
    run_id: str,
    name: str,
    store: StoreDependency,
    range: Annotated[str | None, Header()] = None,
) -> Response:
    """The file's bytes; a ``Range: bytes=first-last`` header asks for a part (206)."""
    record = store.get_artifact(run_id, name)
    return stream_file(store.open_artifact(run_id, name), record.size, record.content_type, range)


@router.post(
    "/snapshot-blobs",
    response_model=BlobDocument,
    responses=error_responses(400),
    openapi_extra={"requestBody": _UPLOAD},
)
async def upload_blob(request: Request, store: StoreDependency) -> BlobDocument:
    """Store a snapshot file under the sha256 of its content (computed here, not trusted)."""
    pending = f"snapshots/pending/{secrets.token_hex(16)}"
    with await spool_body(request) as body:
        size, sha256 = await run_in_threadpool(store.artifacts.put, pending, body)
    try:
        await run_in_threadpool(store.artifacts.move, pending, BLOB_PREFIX + sha256)
    finally:
        await run_in_threadpool(store.artifacts.delete, pending)
    return BlobDocument(size=size, sha256=sha256)


@router.head(
    "/snapshot-blobs/{sha256}",
    status_code=200,
    response_class=Response,
    responses={200: {"description": "The blob is stored."}, **error_responses(404)},
)
def blob_exists(sha256: Sha256, store: StoreDependency) -> Response:
    if not store.artifacts.exists(BLOB_PREFIX + sha256):
        raise ArtifactNotFoundError(f"no snapshot blob {sha256!r}")
    return Response(status_code=200)


@router.get(
    "/snapshot-blobs/{sha256}",
    response_class=StreamingResponse,
    responses={200: _BINARY, **error_responses(404, 416)},
)
def download_blob(
    sha256: Sha256, store: StoreDependency, range: Annotated[str | None, Header()] = None
) -> Response:
    key = BLOB_PREFIX + sha256
    source = store.artifacts.open(key)
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    return stream_file(source, size, "application/octet-stream", range)
