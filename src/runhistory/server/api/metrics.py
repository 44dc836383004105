"""Metric points: columnar write batches in, whole metrics out."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from runhistory.errors import NotFoundError
from runhistory.server.charts import MAX_BUCKETS, chart_series
from runhistory.server.dependencies import IngestDependency, StoreDependency
from runhistory.server.encoding import json_response, metric_json
from runhistory.server.fields import INT64_SCHEMA
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.schemas import (
    ChartDocument,
    MetricDocument,
    WriteBatchDocument,
    WriteBatchResult,
)
from runhistory.store.base import LogAppend, MetricAppend, WriteBatch

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
            MetricAppend(
                m.run_id,
                m.name,
                m.kind,
                m.description,
                m.values,  # type: ignore[arg-type]  # columns are unpacked on validation
                m.timestamps,  # type: ignore[arg-type]
                m.steps,  # type: ignore[arg-type]
            )
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


@router.get(
    "/runs/{run_id}/chart", response_model=ChartDocument, responses=error_responses(400, 404)
)
def chart(
    run_id: str,
    store: StoreDependency,
    name: Annotated[str, Query(description="the metric to draw")],
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = 2000,
    first_step: Annotated[int | None, Query(ge=-(2**63), lt=2**63), INT64_SCHEMA] = None,
    last_step: Annotated[int | None, Query(ge=-(2**63), lt=2**63), INT64_SCHEMA] = None,
) -> Response:
    """A metric reduced to at most ``buckets`` min/max buckets over a step range."""
    store.get_run(run_id)
    found = store.read_metrics(run_id, [name])
    if not found:
        raise NotFoundError(f"run {run_id!r} has no metric {name!r}")
    series = chart_series(found[0], buckets, first_step, last_step)
    return json_response({"name": name, "kind": found[0].kind.value, **dataclasses.asdict(series)})
