"""Registered models: register a new version, read one, list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from runhistory.server.dependencies import StoreDependency
from runhistory.server.encoding import json_response, model_json
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.schemas import ModelCreate, ModelDocument

router = APIRouter(prefix="/models", tags=["models"], responses=error_responses(422))


@router.post(
    "",
    response_model=ModelDocument,
    status_code=201,
    responses=error_responses(404, *JSON_BODY),
)
def register_model(body: ModelCreate, store: StoreDependency) -> Response:
    store.get_run(body.run_id)
    record = store.register_model(
        body.name, body.run_id, body.path, body.files, body.tags, body.properties, body.description
    )
    return json_response(model_json(record), 201)


@router.get("", response_model=list[ModelDocument])
def list_models(store: StoreDependency, name: Annotated[str | None, Query()] = None) -> Response:
    return json_response([model_json(m) for m in store.list_models(name)])


@router.get("/{name}", response_model=ModelDocument, responses=error_responses(404))
def get_model(
    name: str, store: StoreDependency, version: Annotated[int | None, Query(ge=1, lt=2**31)] = None
) -> Response:
    return json_response(model_json(store.get_model(name, version)))
