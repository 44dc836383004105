"""What the studio's views need in one request that the store's routes would give in many:
``GET /studio/experiments``, the experiments with their runs counted by status and their last
activity (one listing of the runs' rows, not one request per experiment)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Query
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from runhistory.server.dependencies import StoreDependency
from runhistory.server.encoding import experiment_json
from runhistory.server.schemas import ExperimentDocument
from runhistory.store.base import RunQuery, Store
from runhistory.store.run_table import RUN_FIELDS

router = APIRouter(prefix="/studio", tags=["studio"])

_EXPERIMENT, _STATUS = RUN_FIELDS.index("experiment_id"), RUN_FIELDS.index("status")
_TIMES = tuple(RUN_FIELDS.index(f) for f in ("created", "started", "ended", "heartbeat"))


class ExperimentOverview(ExperimentDocument):
    status_counts: dict[str, int] = Field(description="runs by status (children included)")
    last_activity: float = Field(
        description="latest time a run was created, started, ended "
        "or beat (seconds); the experiment's creation when it has none"
    )


@router.get("/experiments", response_model=list[ExperimentOverview])
async def experiment_overviews(
    store: StoreDependency,
    view_type: str = Query(
        "active", pattern="(?i)^(active|archived|all)$", description="'active', 'archived' or 'all'"
    ),
) -> list[dict[str, Any]]:
    return await run_in_threadpool(overviews, store, view_type)


def overviews(store: Store, view_type: str) -> list[dict[str, Any]]:
    experiments = store.list_experiments(view_type)
    counts: dict[str, Counter[str]] = {e.id: Counter() for e in experiments}
    latest = {e.id: e.created for e in experiments}
    for row in store.list_run_table(RunQuery()).rows:
        experiment_id = row[_EXPERIMENT]
        if experiment_id not in counts:
            continue
        counts[experiment_id][row[_STATUS]] += 1
        times = [row[i] for i in _TIMES if row[i] is not None]
        latest[experiment_id] = max([latest[experiment_id], *times])
    return [
        {
            **experiment_json(e),
            "status_counts": dict(counts[e.id]),
            "last_activity": latest[e.id],
        }
        for e in experiments
    ]
