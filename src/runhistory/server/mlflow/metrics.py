"""MLflow's metric endpoints: log-metric, log-batch, metrics/get-history (paged),
get-history-bulk and get-history-bulk-interval.

MLflow metrics are runhistory scalar metrics: each point keeps its step and timestamp (seconds
in the store, milliseconds in MLflow). A log-batch is one store append (one transaction of
chunks), whatever its number of points.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from runhistory.errors import InvalidValueError
from runhistory.model import MetricKind, RunRecord
from runhistory.server.encoding import FastJSONResponse, json_response
from runhistory.server.mlflow.pages import page_of
from runhistory.server.mlflow.protocol import (
    MlflowStore,
    metric_json,
    mlflow_store,
    object_list,
    optional_int,
    optional_string,
    read_message,
    required_double,
    required_string,
    scalar_points,
    string_list,
    string_value,
)
from runhistory.server.mlflow.runs import get_active_run, get_run, log_params, set_tags
from runhistory.store.base import MetricAppend, WriteBatch

router = APIRouter()

MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ENTRIES = 1000
MAX_BULK_RESULTS = 25_000
MAX_INTERVAL_RUNS = 100
MAX_INTERVAL_RESULTS = 2500
MAX_METRIC_KEY = 250


@router.post("/runs/log-metric")
async def log_metric(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    point = _metric(fields)
    store = mlflow_store(request)
    await run_in_threadpool(lambda: append_metrics(store, get_active_run(store, run_id), [point]))
    return json_response({})


def _metric(fields: dict[str, Any], where: str = "") -> tuple[str, float, int, int]:
    key = required_string(fields, "key")
    if len(key) > MAX_METRIC_KEY:
        raise InvalidValueError(
            f"Metric name '{key[:50]}...' exceeds the maximum length of {MAX_METRIC_KEY}"
        )
    value = required_double(fields, "value", where)
    timestamp = optional_int(fields, "timestamp")
    if timestamp is None:
        raise InvalidValueError(f"Missing value for required parameter '{where}timestamp'.")
    return key, value, timestamp, optional_int(fields, "step") or 0


def append_metrics(
    store: MlflowStore, record: RunRecord, points: list[tuple[str, float, int, int]]
) -> None:
    """Append points as scalar metrics, one store write for all of them."""
    import numpy as np

    by_key: dict[str, list[tuple[str, float, int, int]]] = {}
    for point in points:
        by_key.setdefault(point[0], []).append(point)
    appends = [
        MetricAppend(
            run_id=record.id,
            name=key,
            kind=MetricKind.SCALAR,
            description="",
            values=np.array([p[1] for p in group], dtype=np.float64),
            timestamps=[p[2] / 1000 for p in group],
            steps=[p[3] for p in group],
        )
        for key, group in by_key.items()
    ]
    problems = store.append(WriteBatch(metrics=appends))
    if problems:
        raise InvalidValueError("; ".join(problems))


@router.post("/runs/log-batch")
async def log_batch(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id")
    metrics = object_list(fields, "metrics")
    params = object_list(fields, "params")
    tags = object_list(fields, "tags")
    for what, items, limit in (
        ("metrics", metrics, MAX_BATCH_METRICS),
        ("params", params, MAX_BATCH_PARAMS),
        ("tags", tags, MAX_BATCH_TAGS),
    ):
        if len(items) > limit:
            raise InvalidValueError(
                f"A batch logging request can contain at most {limit} {what}. Got {len(items)} "
                f"{what}. Please split up {what} across multiple requests and try again."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_BATCH_ENTRIES:
        raise InvalidValueError(
            f"A batch logging request can contain at most {MAX_BATCH_ENTRIES} metrics, params "
            f"and tags in total. Got {total}. Please split up the batch and try again."
        )
    points = [_metric(m, f"metrics[{i}].") for i, m in enumerate(metrics)]
    param_values: dict[str, str] = {}
    for item in params:
        key = required_string(item, "key")
        value = string_value(item, "value")
        if param_values.get(key, value) != value:
            raise InvalidValueError(
                f"Duplicate parameter keys have been submitted: [{key}]. Please ensure the "
                "request contains only one param value per param key."
            )
        param_values[key] = value
    tag_values = {required_string(t, "key"): string_value(t, "value") for t in tags}
    store = mlflow_store(request)

    def log() -> None:
        record = get_active_run(store, run_id)
        if param_values:
            log_params(store, record, param_values)
        set_tags(store, record, tag_values)
        if points:
            append_metrics(store, record, points)

    await run_in_threadpool(log)
    return json_response({})


def metric_history(
    store: MlflowStore, run_id: str, key: str, run_field: bool = False
) -> list[dict[str, Any]]:
    """Every point of metric ``key`` of the run, in the order logged."""
    get_run(store, run_id)
    found = store.read_metrics(run_id, [key])
    points = scalar_points(found[0]) if found else None
    if points is None:
        return []
    steps, milliseconds, values = points
    keys = ["key", "value", "timestamp", "step"]
    history = []
    for step, timestamp, value in zip(
        steps.tolist(), milliseconds.tolist(), values.tolist(), strict=True
    ):
        if math.isfinite(value):
            history.append(dict(zip(keys, (key, value, timestamp, step), strict=True)))
        else:
            history.append(metric_json(key, value, timestamp, step))
        if run_field:
            history[-1]["run_id"] = run_id
    return history


@router.get("/metrics/get-history")
async def get_metric_history(request: Request) -> Response:
    fields = await read_message(request)
    run_id = required_string(fields, "run_id", "run_uuid")
    key = required_string(fields, "metric_key")
    max_results = optional_int(fields, "max_results")
    token = optional_string(fields, "page_token")
    store = mlflow_store(request)
    history = await run_in_threadpool(metric_history, store, run_id, key)
    if max_results is None and not token:
        # Points that are not finite are strings here, so orjson can write the body.
        return FastJSONResponse({"metrics": history})
    page, next_token = page_of(history, max_results or 25_000, token)
    body: dict[str, Any] = {"metrics": page}
    if next_token:
        body["next_page_token"] = next_token
    return json_response(body)


@router.get("/metrics/get-history-bulk")
async def get_metric_history_bulk(request: Request) -> Response:
    fields = await read_message(request)
    run_ids = string_list(fields, "run_id")
    if not run_ids:
        raise InvalidValueError("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > 100:
        raise InvalidValueError(
            f"GetMetricHistoryBulk request cannot specify more than 100 run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    key = optional_string(fields, "metric_key")
    if not key:
        raise InvalidValueError("GetMetricHistoryBulk request must specify a metric_key.")
    max_results = min(optional_int(fields, "max_results") or MAX_BULK_RESULTS, MAX_BULK_RESULTS)
    store = mlflow_store(request)

    def read() -> list[dict[str, Any]]:
        points: list[dict[str, Any]] = []
        for run_id in sorted(set(run_ids)):
            history = metric_history(store, run_id, key, run_field=True)
            history.sort(key=lambda p: (p["step"], p["timestamp"]))
            points.extend(history)
        return points[:max_results]

    return json_response({"metrics": await run_in_threadpool(read)})


@router.get("/metrics/get-history-bulk-interval")
async def get_metric_history_bulk_interval(request: Request) -> Response:
    fields = await read_message(request)
    run_ids = string_list(fields, "run_ids")
    if not run_ids:
        raise InvalidValueError("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > MAX_INTERVAL_RUNS:
        raise InvalidValueError(
            f"GetMetricHistoryBulkInterval request must specify at most {MAX_INTERVAL_RUNS} "
            f"run_ids. Received {len(run_ids)} run_ids."
        )
    key = required_string(fields, "metric_key")
    start_step = optional_int(fields, "start_step")
    end_step = optional_int(fields, "end_step")
    if (start_step is None) != (end_step is None):
        raise InvalidValueError(
            "If either start step or end step are specified, both must be specified."
        )
    if start_step is not None and end_step is not None and start_step > end_step:
        raise InvalidValueError(
            f"end_step must be greater than start_step. Found start_step={start_step} and "
            f"end_step={end_step}."
        )
    max_results = optional_int(fields, "max_results")
    if max_results is not None and not 0 < max_results <= MAX_INTERVAL_RESULTS:
        raise InvalidValueError(
            f"max_results must be between 1 and {MAX_INTERVAL_RESULTS}. Received {max_results}."
        )
    store = mlflow_store(request)

    def read() -> list[dict[str, Any]]:
        histories = {
            r: metric_history(store, r, key, run_field=True) for r in dict.fromkeys(run_ids)
        }
        steps = sample_steps(
            [[p["step"] for p in h] for h in histories.values()],
            start_step,
            end_step,
            max_results or MAX_INTERVAL_RESULTS,
        )
        points: list[dict[str, Any]] = []
        for history in histories.values():
            chosen = [p for p in history if p["step"] in steps]
            points.extend(sorted(chosen, key=lambda p: (p["step"], p["timestamp"])))
        return points[:MAX_BULK_RESULTS]

    return json_response({"metrics": await run_in_threadpool(read)})


def sample_steps(
    runs: list[list[int]], start_step: int | None, end_step: int | None, count: int
) -> set[int]:
    """The steps MLflow's charts ask for: ``count`` steps spread evenly over the steps the runs
    logged in the range, plus each run's first and last step (MLflow's own sampling)."""
    all_steps = sorted({step for steps in runs for step in steps})
    first = 0 if start_step is None else start_step
    last = (all_steps[-1] if all_steps else 0) if end_step is None else end_step
    ends = {s for steps in runs if steps for s in (min(steps), max(steps)) if first <= s <= last}
    start_index = bisect.bisect_left(all_steps, first)
    end_index = bisect.bisect_right(all_steps, last)
    if end_index - start_index <= count:
        return set(all_steps[start_index:end_index]) | ends
    interval = (end_index - start_index) / count
    sampled = {
        all_steps[start_index + int(i * interval)]
        for i in range(count)
        if start_index + int(i * interval) < end_index - start_index
    }
    return sampled | {all_steps[end_index - 1]} | ends
