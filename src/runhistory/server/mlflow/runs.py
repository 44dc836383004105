"""MLflow's run endpoints: create, get, update, delete, restore, search, log-parameter, set-tag,
delete-tag and log-inputs.

MLflow params are runhistory *properties*: both are write-once key/value strings (MLflow refuses
to change a param, runhistory refuses to change a property), whereas runhistory *arguments* are an
ordered command line, which MLflow params are not. A nested run (tag ``mlflow.parentRunId``) is a
child run. A deleted run keeps a hidden tag (``runhistory.mlflow.lifecycle``) until restored.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from runhistory.errors import InvalidValueError, PropertyConflictError, RunNotFoundError
from runhistory.model import RunRecord
from runhistory.search import Comparison, matches, parse_filter, parse_order_by
from runhistory.server.encoding import json_response
from runhistory.server.mlflow.pages import page_of
from runhistory.server.mlflow.protocol import (
    DEFAULT_EXPERIMENT_ID,
    HIDDEN_TAG_PREFIX,
    INPUT_TAG_PREFIX,
    LIFECYCLE_TAG,
    PARENT_TAG,
    RUN_NAME_TAG,
    RUN_TYPE,
    STATUS_FROM_MLFLOW,
    USER_TAG,
    MlflowStore,
    artifact_uri,
    get_experiment,
    invalid,
    latest_metrics,
    lifecycle_stage,
    mlflow_status,
    mlflow_store,
    object_list,
    optional_int,
    optional_string,
    read_message,
    required_string,
    run_info_json,
    run_json,
    run_name,
    string_list,
    string_value,
    to_milliseconds,
    visible_tags,
)
from runhistory.store.base import RunQuery

router = APIRouter()

SEARCH_MAX_RESULTS = 50_000
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MODEL_HISTORY_TAG = "mlflow.log-model.history"
_VIEW_TYPES = {
    "ACTIVE_ONLY": ("active",),
    "DELETED_ONLY": ("deleted",),
    "ALL": ("active", "deleted"),
}
_ADJECTIVES = ("amber", "brisk", "calm", "deft", "eager", "fond", "glad", "keen", "lucid", "merry")
_NOUNS = ("heron", "otter", "finch", "lynx", "moth", "newt", "owl", "pike", "seal", "wren")


def get_active_run(store: MlflowStore, run_id: str) -> RunRecord:
    """The run, refusing one that is deleted (MLflow logs only to active runs)."""
    record = get_run(store, run_id)
    if lifecycle_stage(record) != "active":
        raise InvalidValueError(
            f"The run {run_id} must be in the 'active' state. Current state is deleted."
        )
    return record


def get_run(store: MlflowStore, run_id: str) -> RunRecord:
    try:
        return store.get_run(run_id)
    except RunNotFoundError:
        raise RunNotFoundError(f"Run with id={run_id} not found") from None


def full_run_json(store: MlflowStore, record: RunRecord) -> dict[str, Any]:
    return run_json(record, latest_metrics(store.read_metrics(record.id)))


@router.post("/runs/create")
async def create_run(request: Request) -> Response:
    fields = await read_message(request)
    experiment_id = optional_string(fields, "experiment_id") or DEFAULT_EXPERIMENT_ID
    tags = _key_values(fields, "tags")
    name = optional_string(fields, "run_name") or tags.get(RUN_NAME_TAG) or _random_name()
    tags[RUN_NAME_TAG] = name
    user = optional_string(fields, "user_id")
    if user and USER_TAG not in tags:
        tags[USER_TAG] = user
    start_time = optional_int(fields, "start_time")
    store = mlflow_store(request)

    def create() -> RunRecord:
        experiment = get_experiment(store, experiment_id)
        if experiment.archived:
            raise InvalidValueError(
                f"The experiment {experiment_id} must be in the 'active' state; restore it first"
            )
        # MLflow keeps the parent tag of a parent it does not know; so do we, without the link.
        parent = tags.get(PARENT_TAG) or None
        if parent is not None:
            try:
                store.get_run(parent)
            except RunNotFoundError:
                parent = None
        return store.create_run(
            experiment.id,
            status=STATUS_FROM_MLFLOW["RUNNING"],
            run_type=RUN_TYPE,
            parent_id=parent,
            display_name=name,
            tags=tags,
            started=time.time() if start_time is None else start_time / 1000,
            run_id=uuid.uuid4().hex,
        )

    record = await run_in_threadpool(create)
    return json_response({"run": run_json(record, [])})


def _random_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(1000)}"


def _key_values(fields: dict[str, Any], name: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in object_list(fields, name):
        key = item.get("key")
        if not isinstance(key, str) or not key:
            raise InvalidValueError(f"Missing value for required parameter 'key' in '{name}'")
        pairs[key] = str(item.get("value") if item.get("value") is not None else "")
    return pairs


@router.get("/runs/get")
async def get_run_by_id(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    store = mlflow_store(request)
    body = await run_in_threadpool(lambda: {"run": full_run_json(store, get_run(store, run_id))})
    return json_response(body)


@router.post("/runs/update")
async def update_run(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    status = optional_string(fields, "status")
    if status is not None and status not in STATUS_FROM_MLFLOW:
        raise InvalidValueError(
            f"Invalid value {status!r} for parameter 'status'; use one of {list(STATUS_FROM_MLFLOW)}"
        )
    end_time = optional_int(fields, "end_time")
    new_name = optional_string(fields, "run_name")
    store = mlflow_store(request)

    def update() -> RunRecord:
        record = get_active_run(store, run_id)
        if status is not None:
            store.set_status(
                run_id,
                STATUS_FROM_MLFLOW[status],
                ended=None if end_time is None else end_time / 1000,
            )
        if new_name:
            store.update_run(run_id, display_name=new_name)
            store.set_tags(run_id, {RUN_NAME_TAG: new_name})
        return store.get_run(record.id)

    record = await run_in_threadpool(update)
    return json_response({"run_info": run_info_json(record)})


@router.post("/runs/delete")
async def delete_run(request: Request) -> Response:
    return await _set_lifecycle(request, deleted=True)


@router.post("/runs/restore")
async def restore_run(request: Request) -> Response:
    return await _set_lifecycle(request, deleted=False)


async def _set_lifecycle(request: Request, deleted: bool) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id")
    store = mlflow_store(request)

    def update() -> None:
        get_run(store, run_id)
        if deleted:
            store.set_tags(run_id, {LIFECYCLE_TAG: "deleted"})
        else:
            store.remove_tags(run_id, [LIFECYCLE_TAG])

    await run_in_threadpool(update)
    return json_response({})


@router.post("/runs/log-parameter")
async def log_parameter(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    key = required_string(fields, "key")
    value = string_value(fields, "value")
    store = mlflow_store(request)
    await run_in_threadpool(lambda: log_params(store, get_active_run(store, run_id), {key: value}))
    return json_response({})


def log_params(store: MlflowStore, record: RunRecord, params: dict[str, str]) -> None:
    """Write-once, as MLflow's params are: the same value again is accepted."""
    for key, value in params.items():
        if len(value) > MAX_PARAM_VALUE:
            raise InvalidValueError(
                f"Param value '{value[:50]}...' had length {len(value)}, which exceeded "
                f"length limit of {MAX_PARAM_VALUE}"
            )
        old = record.properties.get(key)
        if old is not None and old != value:
            raise PropertyConflictError(
                f"Changing param values is not allowed. Param with key='{key}' was already "
                f"logged with value='{old}' for run ID='{record.id}'. Attempted logging new "
                f"value '{value}'."
            )
    store.add_properties(record.id, params)


@router.post("/runs/set-tag")
async def set_tag(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    key = required_string(fields, "key")
    value = string_value(fields, "value")
    store = mlflow_store(request)
    await run_in_threadpool(lambda: set_tags(store, get_active_run(store, run_id), {key: value}))
    return json_response({})


def set_tags(store: MlflowStore, record: RunRecord, tags: dict[str, str]) -> None:
    for key, value in tags.items():
        if key.startswith(HIDDEN_TAG_PREFIX):
            raise InvalidValueError(f"tag {key!r} is reserved by runhistory; use another key")
        if len(value) > MAX_TAG_VALUE:
            raise InvalidValueError(
                f"Tag value '{value[:50]}...' had length {len(value)}, which exceeded length "
                f"limit of {MAX_TAG_VALUE}"
            )
    if tags:
        store.set_tags(record.id, tags)
    if RUN_NAME_TAG in tags:
        store.update_run(record.id, display_name=tags[RUN_NAME_TAG])


@router.post("/runs/delete-tag")
async def delete_tag(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id")
    key = required_string(fields, "key")
    store = mlflow_store(request)

    def delete() -> None:
        record = get_active_run(store, run_id)
        if key not in visible_tags(record):
            raise RunNotFoundError(f"No tag with name: {key} in run with id {run_id}")
        store.remove_tags(run_id, [key])

    await run_in_threadpool(delete)
    return json_response({})


@router.post("/runs/log-inputs")
async def log_inputs(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id")
    if not fields.get("datasets"):
        raise InvalidValueError("Missing value for required parameter 'datasets'.")
    datasets = object_list(fields, "datasets")
    inputs: dict[str, str | None] = {}
    for item in datasets:
        dataset = item.get("dataset")
        if not isinstance(dataset, dict) or not dataset.get("name") or not dataset.get("digest"):
            raise InvalidValueError(
                "each of 'datasets' needs a 'dataset' with at least a name and a digest"
            )
        key = f"{INPUT_TAG_PREFIX}{dataset['name']}:{dataset['digest']}"
        inputs[key] = json.dumps({"tags": item.get("tags") or [], "dataset": dataset})
    store = mlflow_store(request)

    def log() -> None:
        get_active_run(store, run_id)
        if inputs:
            store.set_tags(run_id, inputs)

    await run_in_threadpool(log)
    return json_response({})


@router.post("/runs/search")
async def search_runs(request: Request) -> Response:
    fields = await read_message(request)
    experiment_ids = string_list(fields, "experiment_ids")
    view = str(fields.get("run_view_type") or "ACTIVE_ONLY")
    if view not in _VIEW_TYPES:
        raise InvalidValueError(f"run_view_type {view!r} is not one of {', '.join(_VIEW_TYPES)}")
    max_results = optional_int(fields, "max_results")
    max_results = 1000 if max_results is None else max_results
    if not 0 < max_results <= SEARCH_MAX_RESULTS:
        raise InvalidValueError(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {SEARCH_MAX_RESULTS}, and at least 1"
        )
    terms = parse_filter(optional_string(fields, "filter"))
    order = parse_order_by(string_list(fields, "order_by"))
    token = optional_string(fields, "page_token")
    store = mlflow_store(request)

    def search() -> dict[str, Any]:
        found: list[RunRecord] = []
        for experiment_id in dict.fromkeys(experiment_ids):
            get_experiment(store, experiment_id)
            found.extend(store.list_runs(RunQuery(experiment_id=experiment_id)))
        found = [
            r
            for r in found
            if lifecycle_stage(r) in _VIEW_TYPES[view]
            and all(matches(term, run_value(r, term)) for term in terms)
        ]
        found = sort_runs(found, order)
        page, next_token = page_of(found, max_results, token)
        body: dict[str, Any] = {"runs": [full_run_json(store, r) for r in page]}
        if next_token:
            body["next_page_token"] = next_token
        return body

    return json_response(await run_in_threadpool(search))


def run_value(record: RunRecord, term: Comparison | Any) -> Any:
    """What ``entity.key`` of a filter or order-by clause is for ``record`` (None: absent)."""
    entity, key = term.entity, term.key
    if entity == "metric":
        summary = record.metrics.get(key)
        if summary is None or isinstance(summary.last, (str, bool)) or summary.last is None:
            return None
        return float(summary.last)
    if entity == "param":
        return record.properties.get(key)
    if entity == "tag":
        if key == RUN_NAME_TAG:
            return run_name(record)
        return visible_tags(record).get(key)
    if entity == "attribute":
        return _attribute(record, key)
    raise InvalidValueError(f"searching runs by {entity} {key!r} is not supported")


def _attribute(record: RunRecord, key: str) -> Any:
    values: dict[str, Callable[[], Any]] = {
        "run_id": lambda: record.id,
        "run_uuid": lambda: record.id,
        "run_name": lambda: run_name(record),
        "status": lambda: mlflow_status(record.status),
        "start_time": lambda: to_milliseconds(record.started or record.created),
        "end_time": lambda: to_milliseconds(record.ended),
        "created": lambda: to_milliseconds(record.created),
        "artifact_uri": lambda: artifact_uri(record),
        "user_id": lambda: record.tags.get(USER_TAG) or "",
        "lifecycle_stage": lambda: lifecycle_stage(record),
        "experiment_id": lambda: record.experiment_id,
    }
    if key not in values:
        raise InvalidValueError(
            f"Invalid attribute key '{key}' specified. Valid keys are {sorted(values)}"
        )
    value: Any = values[key]()
    return value


def sort_runs(runs: list[RunRecord], order: list[Any]) -> list[RunRecord]:
    """MLflow's order: the given keys (missing values last), then start time descending and
    run id."""
    runs = sorted(runs, key=lambda r: r.id)
    runs.sort(key=lambda r: r.started or r.created, reverse=True)
    for key in reversed(order):
        present = [r for r in runs if run_value(r, key) is not None]
        absent = [r for r in runs if run_value(r, key) is None]
        present.sort(key=lambda r: run_value(r, key), reverse=not key.ascending)
        runs = present + absent
    return runs


@router.post("/runs/log-model")
async def log_model(request: Request) -> Response:
    """MLflow 2's record of a logged model: appended to the run's ``mlflow.log-model.history``
    tag, as MLflow's own server keeps it."""
    fields = await read_message(request)
    run_id = required_string(fields, "run_id")
    model_json = required_string(fields, "model_json")
    try:
        model = json.loads(model_json)
    except ValueError:
        raise invalid(model_json, "model_json", "it must be a JSON document") from None
    if not isinstance(model, dict):
        raise invalid(model_json, "model_json", "it must be a JSON object")
    store = mlflow_store(request)

    def log() -> None:
        record = get_active_run(store, run_id)
        history = json.loads(record.tags.get(MODEL_HISTORY_TAG) or "[]")
        store.set_tags(record.id, {MODEL_HISTORY_TAG: json.dumps([*history, model])})

    await run_in_threadpool(log)
    return json_response({})
