"""MLflow's experiment endpoints: create, get, get-by-name, search, update (rename), delete,
restore, set-experiment-tag and delete-experiment-tag. A deleted MLflow experiment is an
archived runhistory experiment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from runhistory.errors import ExperimentNotFoundError, InvalidValueError
from runhistory.model import ExperimentRecord
from runhistory.search import matches, parse_filter, parse_order_by
from runhistory.server.encoding import json_response
from runhistory.server.mlflow.pages import page_of
from runhistory.server.mlflow.protocol import (
    ensure_default_experiment,
    experiment_json,
    get_experiment,
    invalid,
    mlflow_store,
    object_list,
    optional_int,
    optional_string,
    read_message,
    required_string,
    string_list,
    string_value,
    to_milliseconds,
)

router = APIRouter()

_VIEW_TYPES = {"ACTIVE_ONLY": "active", "DELETED_ONLY": "archived", "ALL": "all"}
SEARCH_MAX_RESULTS = 50_000


@router.post("/experiments/create")
async def create_experiment(request: Request) -> Response:
    fields = await read_message(request)
    name = fields.get("name")
    if name is None:
        raise InvalidValueError("Missing value for required parameter 'name'.")
    if not isinstance(name, str):
        raise invalid(name, "name", "it must be a string")
    # Accepted and not used: runhistory keeps every run's files itself.
    string_value(fields, "artifact_location")
    if not name.strip():
        raise InvalidValueError("Invalid experiment name: ''. Give a non-empty name.")
    tags = {t.get("key"): t.get("value") for t in object_list(fields, "tags")}
    store = mlflow_store(request)
    record = await run_in_threadpool(
        lambda: store.create_experiment(name, tags={str(k): v for k, v in tags.items()})
    )
    return json_response({"experiment_id": record.id})


@router.get("/experiments/get")
async def get_experiment_by_id(request: Request) -> Response:
    fields = await read_message(request)
    experiment_id = required_string(fields, "experiment_id")
    record = await run_in_threadpool(get_experiment, mlflow_store(request), experiment_id)
    return json_response({"experiment": experiment_json(record)})


@router.get("/experiments/get-by-name")
async def get_experiment_by_name(request: Request) -> Response:
    fields = await read_message(request)
    name = required_string(fields, "experiment_name")
    store = mlflow_store(request)

    def find() -> ExperimentRecord:
        ensure_default_experiment(store)
        try:
            return store.get_experiment(name)
        except ExperimentNotFoundError:
            raise ExperimentNotFoundError(f"Could not find experiment with name '{name}'") from None

    return json_response({"experiment": experiment_json(await run_in_threadpool(find))})


@router.get("/experiments/search")
@router.post("/experiments/search")
async def search_experiments(request: Request) -> Response:
    fields = await read_message(request)
    view = str(fields.get("view_type") or "ACTIVE_ONLY")
    if view not in _VIEW_TYPES:
        raise InvalidValueError(f"view_type {view!r} is not one of {', '.join(_VIEW_TYPES)}")
    max_results = optional_int(fields, "max_results") or 1000
    if not 0 < max_results <= SEARCH_MAX_RESULTS:
        raise InvalidValueError(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {SEARCH_MAX_RESULTS}, and at least 1"
        )
    terms = parse_filter(optional_string(fields, "filter"))
    order = parse_order_by(string_list(fields, "order_by"))
    store = mlflow_store(request)

    def search() -> list[ExperimentRecord]:
        ensure_default_experiment(store)
        return store.list_experiments(_VIEW_TYPES[view])

    found = [
        e
        for e in await run_in_threadpool(search)
        if all(matches(t, _value(e, t.entity, t.key)) for t in terms)
    ]
    found.sort(key=lambda e: e.id)
    found.sort(key=lambda e: e.created, reverse=True)
    for key in reversed(order):
        present = [e for e in found if _value(e, key.entity, key.key) is not None]
        absent = [e for e in found if _value(e, key.entity, key.key) is None]
        present.sort(key=lambda e: _value(e, key.entity, key.key), reverse=not key.ascending)
        found = present + absent
    page, token = page_of(found, max_results, optional_string(fields, "page_token"))
    body: dict[str, Any] = {"experiments": [experiment_json(e) for e in page]}
    if token:
        body["next_page_token"] = token
    return json_response(body)


def _value(record: ExperimentRecord, entity: str, key: str) -> Any:
    if entity == "tag":
        return record.tags.get(key)
    if entity != "attribute":
        raise InvalidValueError(
            f"experiments can be searched by name, creation_time, last_update_time and tags, "
            f"not by {entity} {key!r}"
        )
    if key == "name":
        return record.name
    if key in ("creation_time", "last_update_time"):
        return to_milliseconds(record.created)
    if key == "experiment_id":
        return record.id
    raise InvalidValueError(
        f"Invalid attribute key '{key}' specified. Valid keys are "
        "['name', 'creation_time', 'last_update_time', 'experiment_id']"
    )


@router.post("/experiments/update")
async def rename_experiment(request: Request) -> Response:
    fields = await read_message(request)
    experiment_id = required_string(fields, "experiment_id")
    new_name = required_string(fields, "new_name")
    store = mlflow_store(request)

    def rename() -> None:
        record = get_experiment(store, experiment_id)
        if record.archived:
            raise InvalidValueError(
                f"Cannot rename a non-active experiment {experiment_id}; restore it first"
            )
        store.rename_experiment(experiment_id, new_name)

    await run_in_threadpool(rename)
    return json_response({})


@router.post("/experiments/delete")
async def delete_experiment(request: Request) -> Response:
    return await _set_archived(request, True)


@router.post("/experiments/restore")
async def restore_experiment(request: Request) -> Response:
    return await _set_archived(request, False)


async def _set_archived(request: Request, archived: bool) -> Response:
    fields = await read_message(request)
    experiment_id = required_string(fields, "experiment_id")
    store = mlflow_store(request)

    def update() -> None:
        get_experiment(store, experiment_id)
        store.update_experiment(experiment_id, archived=archived)

    await run_in_threadpool(update)
    return json_response({})


@router.post("/experiments/set-experiment-tag")
async def set_experiment_tag(request: Request) -> Response:
    fields = await read_message(request)
    experiment_id = required_string(fields, "experiment_id")
    key = required_string(fields, "key")
    value = optional_string(fields, "value") or ""
    store = mlflow_store(request)

    def update() -> None:
        record = get_experiment(store, experiment_id)
        if record.archived:
            raise InvalidValueError(
                f"The experiment {experiment_id} must be in the 'active' state to set a tag"
            )
        store.update_experiment(experiment_id, tags={key: value})

    await run_in_threadpool(update)
    return json_response({})


@router.post("/experiments/delete-experiment-tag")
async def delete_experiment_tag(request: Request) -> Response:
    fields = await read_message(request)
    experiment_id = required_string(fields, "experiment_id")
    key = required_string(fields, "key")
    store = mlflow_store(request)

    def update() -> None:
        get_experiment(store, experiment_id)
        store.remove_experiment_tags(experiment_id, [key])

    await run_in_threadpool(update)
    return json_response({})
