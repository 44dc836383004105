"""Runs: create, read, find by id prefix, search, update, change status, claim, tags, properties."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from runhistory.errors import ConflictError
from runhistory.server.dependencies import StoreDependency
from runhistory.server.encoding import (
    FastJSONResponse,
    json_response,
    run_json,
    run_table_json,
)
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.schemas import (
    ClaimRequest,
    PropertiesUpdate,
    RunCreate,
    RunDocument,
    RunSearch,
    RunTableDocument,
    RunUpdate,
    StatusChange,
    StatusChanged,
    TagsUpdate,
)
from runhistory.store.base import RunQuery

router = APIRouter(prefix="/runs", tags=["runs"], responses=error_responses(422))


@router.post(
    "",
    response_model=RunDocument,
    status_code=201,
    responses=error_responses(404, 409, *JSON_BODY),
)
def create_run(body: RunCreate, store: StoreDependency) -> Response:
    if body.run_id is not None and store.find_runs(body.run_id, 1) == [body.run_id]:
        raise ConflictError(
            f"a run with id {body.run_id!r} exists; leave run_id out or pick another"
        )
    fields = body.model_dump(exclude={"experiment_id", "arguments"})
    record = store.create_run(body.experiment_id, arguments=body.arguments, **fields)
    return json_response(run_json(record), 201)


@router.get("", response_model=list[str])
def find_runs(
    store: StoreDependency,
    prefix: Annotated[str, Query(min_length=1, description="start of the run ids wanted")],
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
) -> list[str]:
    return store.find_runs(prefix, limit)


@router.post(
    "/search",
    response_model=list[RunDocument] | RunTableDocument,
    responses=error_responses(*JSON_BODY),
)
def list_runs(body: RunSearch, store: StoreDependency) -> Response:
    """The runs the query matches, newest first: run documents, or with ``"format": "table"``
    their rows as the store keeps them (what the Python client asks for)."""
    query = RunQuery(**body.model_dump(exclude={"format"}))
    if body.format == "table":
        return FastJSONResponse(run_table_json(store.list_run_table(query)))
    return json_response([run_json(r) for r in store.list_runs(query)])


@router.post("/claim", response_model=list[RunDocument], responses=error_responses(*JSON_BODY))
def claim_runs(body: ClaimRequest, store: StoreDependency) -> Response:
    return json_response([run_json(r) for r in store.claim_runs(body.target, body.limit)])


@router.get("/{run_id}", response_model=RunDocument, responses=error_responses(404))
def get_run(run_id: str, store: StoreDependency) -> Response:
    return json_response(run_json(store.get_run(run_id)))


@router.patch("/{run_id}", status_code=204, responses=error_responses(404, 409, *JSON_BODY))
def update_run(run_id: str, body: RunUpdate, store: StoreDependency) -> None:
    store.update_run(run_id, **body.model_dump(exclude_unset=True))


@router.post(
    "/{run_id}/status",
    response_model=StatusChanged,
    responses=error_responses(404, 409, *JSON_BODY),
)
def set_status(run_id: str, body: StatusChange, store: StoreDependency) -> StatusChanged:
    changed = store.set_status(
        run_id,
        body.status,
        started=body.started,
        ended=body.ended,
        error=body.error,
        only_from=body.only_from,
    )
    return StatusChanged(changed=changed)


@router.put("/{run_id}/tags", status_code=204, responses=error_responses(404, *JSON_BODY))
def set_tags(run_id: str, body: TagsUpdate, store: StoreDependency) -> None:
    store.set_tags(run_id, body.tags)


@router.delete("/{run_id}/tags", status_code=204, responses=error_responses(404))
def remove_tags(run_id: str, store: StoreDependency, key: Annotated[list[str], Query()]) -> None:
    store.get_run(run_id)
    store.remove_tags(run_id, key)


@router.post(
    "/{run_id}/properties", status_code=204, responses=error_responses(404, 409, *JSON_BODY)
)
def add_properties(run_id: str, body: PropertiesUpdate, store: StoreDependency) -> None:
    store.add_properties(run_id, body.properties)
