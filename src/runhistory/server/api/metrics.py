"""Metric points: columnar write batches in, whole metrics out."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.responses import Response

from runhistory.errors import NotFoundError, RunNotFoundError
from runhistory.server.dependencies import IngestDependency, StoreDependency
from runhistory.server.encoding import FastJSONResponse, json_response, metric_json
from runhistory.server.fields import INT64_SCHEMA
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.schemas import (
    ChartDocument,
    MetricDocument,
    WriteBatchDocument,
    WriteBatchResult,
)
from runhistory.store.base import LogAppend, MetricAppend, WriteBatch
from runhistory.store.overview import MAX_BUCKETS, ChartSeries

router = APIRouter(tags=["metrics"], responses=error_responses(422))


@router.post(
    "/batches",
    response_model=WriteBatchResult,
    responses=error_responses(404, 409, *JSON_BODY),
)
def append_batch(body: WriteBatchDocument, ingest: IngestDependency) -> WriteBatchResult:
    """Store one flush of a client: metric points as columns, log lines and heartbeats.

    Sending the same ``(client_id, seq)`` again stores nothing and answers ``duplicate``."""
    batch = WriteBatch(
        metrics=[
            MetricAppend(m.run_id, m.name, m.kind, m.description, *m.columns())
            for m in body.metrics
        ],
        logs=[LogAppend(e.run_id, e.stream, e.created, e.text) for e in body.logs],
        heartbeats=body.heartbeats,
    )
    problems, duplicate = ingest.append(batch, body.client_id, body.seq)
    return WriteBatchResult(problems=problems, duplicate=duplicate)


@router.get(
    "/runs/{run_id}/metric-kinds", response_model=dict[str, str], responses=error_responses(404)
)
def metric_kinds(run_id: str, store: StoreDependency) -> dict[str, str]:
    store.get_run(run_id)
    return {name: kind.value for name, kind in store.metric_kinds(run_id).items()}


@router.get(
    "/runs/{run_id}/metrics", response_model=list[MetricDocument], responses=error_responses(404)
)
def read_metrics(
    run_id: str,
    store: StoreDependency,
    name: Annotated[list[str] | None, Query(description="metrics wanted (default: all)")] = None,
) -> Response:
    store.get_run(run_id)
    return json_response([metric_json(m) for m in store.read_metrics(run_id, name)])


StepBound = Annotated[int | None, Query(ge=-(2**63), lt=2**63), INT64_SCHEMA]
Buckets = Annotated[int, Query(ge=1, le=MAX_BUCKETS, description="at most this many buckets")]
Smoothing = Annotated[
    float,
    Query(
        ge=0,
        lt=1,
        description="weight of a debiased exponential moving average (TensorBoard's) applied "
        "to every stored point before bucketing; 0: none",
    ),
]


@router.get(
    "/runs/{run_id}/chart", response_model=ChartDocument, responses=error_responses(400, 404)
)
def chart(
    run_id: str,
    store: StoreDependency,
    name: Annotated[str, Query(description="the metric to draw")],
    buckets: Buckets = 2000,
    first_step: StepBound = None,
    last_step: StepBound = None,
    smoothing: Smoothing = 0.0,
) -> Response:
    """A metric reduced to at most ``buckets`` buckets over a step range: each bucket's first
    and last step, least and greatest value, and the value and timestamp of its last point. A
    range of many points per bucket is read from the overviews stored with each chunk (per block
    of points), not decoded point by point; ``smoothing`` averages the whole series first."""
    series = store.metric_chart(run_id, name, buckets, first_step, last_step, smoothing)
    return FastJSONResponse(chart_json(run_id, name, series))


@router.get("/charts", response_model=list[ChartDocument], responses=error_responses(400, 404))
def charts(
    store: StoreDependency,
    name: Annotated[str, Query(description="the metric to draw")],
    run_id: Annotated[list[str], Query(min_length=1, max_length=100, description="the runs")],
    buckets: Buckets = 2000,
    first_step: StepBound = None,
    last_step: StepBound = None,
    smoothing: Smoothing = 0.0,
) -> Response:
    """One metric of many runs (to compare them), each as ``/runs/{run_id}/chart`` gives it;
    runs that have not logged the metric are left out."""
    found = []
    for run in dict.fromkeys(run_id):
        try:
            series = store.metric_chart(run, name, buckets, first_step, last_step, smoothing)
        except RunNotFoundError:
            raise
        except NotFoundError:
            continue
        found.append(chart_json(run, name, series))
    return FastJSONResponse(found)


def chart_json(run_id: str, name: str, series: ChartSeries) -> dict[str, Any]:
    """A ``ChartDocument``. Its lists are passed as they are (``dataclasses.asdict`` would copy
    every number), and written by orjson: infinities become null, as browsers need."""
    fields = {field.name: getattr(series, field.name) for field in dataclasses.fields(series)}
    return {"run_id": run_id, "name": name, **fields}
