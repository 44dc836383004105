"""MLflow 3's logged models, as far as ordinary tracking calls need them (``log_model``,
autologging, downloading a run's artifacts): create, get, finalize, search, tags, params, delete,
and ``runs/outputs``.

A logged model belongs to its source run: its record is a hidden tag of the run
(``runhistory.mlflow.model.<model id>``, JSON) and its files are files of the run under
``models/<model id>/``, so they download with the run like any other file.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from runhistory.errors import InvalidValueError, NotFoundError
from runhistory.model import RunRecord
from runhistory.search import matches, parse_filter
from runhistory.server.encoding import json_response
from runhistory.server.mlflow.pages import page_of
from runhistory.server.mlflow.protocol import (
    HIDDEN_TAG_PREFIX,
    OUTPUT_TAG_PREFIX,
    MlflowStore,
    artifact_uri,
    get_experiment,
    mlflow_store,
    now_milliseconds,
    object_list,
    optional_int,
    optional_string,
    read_message,
    string_list,
)
from runhistory.server.mlflow.runs import get_active_run
from runhistory.store.base import RunQuery

router = APIRouter()

MODEL_TAG_PREFIX = HIDDEN_TAG_PREFIX + "model."


def _find(store: MlflowStore, model_id: str) -> tuple[RunRecord, dict[str, Any]]:
    key = MODEL_TAG_PREFIX + model_id
    runs = store.list_runs(RunQuery(tags=[key], limit=1))
    if not runs:
        raise NotFoundError(f"Logged model with ID '{model_id}' not found.")
    model: dict[str, Any] = json.loads(runs[0].tags[key] or "{}")
    return runs[0], model


def _save(store: MlflowStore, run_id: str, model: dict[str, Any]) -> None:
    model["info"]["last_updated_timestamp_ms"] = now_milliseconds()
    store.set_tags(run_id, {MODEL_TAG_PREFIX + model["info"]["model_id"]: json.dumps(model)})


def _pairs(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"key": str(i.get("key")), "value": str(i.get("value") or "")} for i in items]


def _merge(old: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    merged = {p["key"]: p["value"] for p in old}
    merged.update({p["key"]: p["value"] for p in new})
    return [{"key": k, "value": v} for k, v in merged.items()]


@router.post("/logged-models")
async def create_logged_model(request: Request) -> Response:
    fields = await read_message(request)
    run_id = optional_string(fields, "source_run_id")
    if not run_id:
        raise InvalidValueError(
            "runhistory keeps a logged model with its run: give source_run_id "
            "(log the model inside mlflow.start_run())"
        )
    store = mlflow_store(request)

    def create() -> dict[str, Any]:
        run = get_active_run(store, run_id)
        experiment_id = optional_string(fields, "experiment_id") or run.experiment_id
        get_experiment(store, experiment_id)
        model_id = f"m-{uuid.uuid4().hex}"
        now = now_milliseconds()
        model = {
            "info": {
                "model_id": model_id,
                "experiment_id": experiment_id,
                "name": optional_string(fields, "name") or "model",
                "creation_timestamp_ms": now,
                "last_updated_timestamp_ms": now,
                "artifact_uri": f"{artifact_uri(run)}/models/{model_id}",
                "status": "LOGGED_MODEL_PENDING",
                "model_type": optional_string(fields, "model_type") or "",
                "source_run_id": run.id,
                "tags": _pairs(object_list(fields, "tags")),
            },
            "data": {"params": _pairs(object_list(fields, "params")), "metrics": []},
        }
        _save(store, run.id, model)
        return model

    return json_response({"model": await run_in_threadpool(create)})


@router.get("/logged-models/{model_id}")
async def get_logged_model(model_id: str, request: Request) -> Response:
    store = mlflow_store(request)
    _, model = await run_in_threadpool(_find, store, model_id)
    return json_response({"model": model})


@router.patch("/logged-models/{model_id}")
async def finalize_logged_model(model_id: str, request: Request) -> Response:
    fields = await read_message(request)
    status = optional_string(fields, "status") or "LOGGED_MODEL_READY"
    store = mlflow_store(request)

    def finalize() -> dict[str, Any]:
        run, model = _find(store, model_id)
        model["info"]["status"] = status
        _save(store, run.id, model)
        return model

    return json_response({"model": await run_in_threadpool(finalize)})


@router.patch("/logged-models/{model_id}/tags")
async def set_logged_model_tags(model_id: str, request: Request) -> Response:
    fields = await read_message(request)
    return await _update(request, model_id, "info", "tags", _pairs(object_list(fields, "tags")))


@router.post("/logged-models/{model_id}/params")
async def log_logged_model_params(model_id: str, request: Request) -> Response:
    fields = await read_message(request)
    return await _update(request, model_id, "data", "params", _pairs(object_list(fields, "params")))


async def _update(
    request: Request, model_id: str, part: str, field: str, pairs: list[dict[str, str]]
) -> Response:
    store = mlflow_store(request)

    def update() -> None:
        run, model = _find(store, model_id)
        model[part][field] = _merge(model[part].get(field, []), pairs)
        _save(store, run.id, model)

    await run_in_threadpool(update)
    return json_response({})


@router.delete("/logged-models/{model_id}/tags/{key:path}")
async def delete_logged_model_tag(model_id: str, key: str, request: Request) -> Response:
    store = mlflow_store(request)

    def delete() -> None:
        run, model = _find(store, model_id)
        model["info"]["tags"] = [t for t in model["info"]["tags"] if t["key"] != key]
        _save(store, run.id, model)

    await run_in_threadpool(delete)
    return json_response({})


@router.delete("/logged-models/{model_id}")
async def delete_logged_model(model_id: str, request: Request) -> Response:
    store = mlflow_store(request)

    def delete() -> None:
        run, _ = _find(store, model_id)
        store.remove_tags(run.id, [MODEL_TAG_PREFIX + model_id])

    await run_in_threadpool(delete)
    return json_response({})


@router.post("/logged-models/search")
async def search_logged_models(request: Request) -> Response:
    fields = await read_message(request)
    experiment_ids = string_list(fields, "experiment_ids")
    terms = parse_filter(optional_string(fields, "filter"))
    max_results = optional_int(fields, "max_results") or 100
    store = mlflow_store(request)

    def search() -> list[dict[str, Any]]:
        models: list[dict[str, Any]] = []
        for experiment_id in dict.fromkeys(experiment_ids):
            get_experiment(store, experiment_id)
            for run in store.list_runs(RunQuery(experiment_id=experiment_id)):
                models.extend(
                    json.loads(v or "{}")
                    for k, v in run.tags.items()
                    if k.startswith(MODEL_TAG_PREFIX)
                )
        return [
            m for m in models if all(matches(t, _model_value(m, t.entity, t.key)) for t in terms)
        ]

    found = sorted(
        await run_in_threadpool(search), key=lambda m: -m["info"]["creation_timestamp_ms"]
    )
    page, token = page_of(found, max_results, optional_string(fields, "page_token"))
    body: dict[str, Any] = {"models": page}
    if token:
        body["next_page_token"] = token
    return json_response(body)


def _model_value(model: dict[str, Any], entity: str, key: str) -> Any:
    info = model["info"]
    if entity == "attribute":
        return info.get(key)
    if entity in ("tag", "param"):
        pairs = info.get("tags", []) if entity == "tag" else model["data"].get("params", [])
        return next((p["value"] for p in pairs if p["key"] == key), None)
    raise InvalidValueError(f"logged models cannot be searched by {entity} {key!r}")


@router.post("/runs/outputs")
async def log_outputs(request: Request) -> Response:
    fields = await read_message(request)
    run_id = optional_string(fields, "run_id")
    if not run_id:
        raise InvalidValueError("Missing value for required parameter 'run_id'.")
    outputs = {
        OUTPUT_TAG_PREFIX + str(m.get("model_id")): json.dumps(m)
        for m in object_list(fields, "models")
    }
    store = mlflow_store(request)

    def log() -> None:
        get_active_run(store, run_id)
        if outputs:
            store.set_tags(run_id, outputs)

    await run_in_threadpool(log)
    return json_response({})
