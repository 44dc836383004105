"""Experiments: create (or get) by name, read, list, archive and tag."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.responses import Response

from runhistory.server.dependencies import StoreDependency
from runhistory.server.encoding import experiment_json, json_response
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.schemas import ExperimentCreate, ExperimentDocument, ExperimentUpdate

router = APIRouter(prefix="/experiments", tags=["experiments"], responses=error_responses(422))


@router.post("", response_model=ExperimentDocument, responses=error_responses(*JSON_BODY))
def get_or_create_experiment(body: ExperimentCreate, store: StoreDependency) -> Response:
    record = store.get_or_create_experiment(body.name)
    return json_response(experiment_json(record))


@router.get("", response_model=list[ExperimentDocument])
def list_experiments(
    store: StoreDependency,
    view_type: str = Query(
        "active", pattern="(?i)^(active|archived|all)$", description="'active', 'archived' or 'all'"
    ),
) -> Response:
    return json_response([experiment_json(e) for e in store.list_experiments(view_type)])


@router.get("/by-name/{name}", response_model=ExperimentDocument, responses=error_responses(404))
def get_experiment(name: str, store: StoreDependency) -> Response:
    return json_response(experiment_json(store.get_experiment(name)))


@router.get("/{experiment_id}", response_model=ExperimentDocument, responses=error_responses(404))
def get_experiment_by_id(experiment_id: str, store: StoreDependency) -> Response:
    return json_response(experiment_json(store.get_experiment_by_id(experiment_id)))


@router.patch("/{experiment_id}", status_code=204, responses=error_responses(404, *JSON_BODY))
def update_experiment(experiment_id: str, body: ExperimentUpdate, store: StoreDependency) -> None:
    store.get_experiment_by_id(experiment_id)
    store.update_experiment(experiment_id, archived=body.archived, tags=body.tags)
