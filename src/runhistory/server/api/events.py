"""Server-sent event streams of a run and of an experiment (see ``server/events.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from runhistory.server.dependencies import StoreDependency
from runhistory.server.events import experiment_events, run_events

router = APIRouter(tags=["events"])

_EVENT_STREAM = {"content": {"text/event-stream": {"schema": {"type": "string"}}}}
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/runs/{run_id}/events", response_class=StreamingResponse, responses={200: _EVENT_STREAM}
)
async def follow_run(run_id: str, store: StoreDependency) -> StreamingResponse:
    """Events ``status``, ``metrics``, ``log`` of the run as they happen, then ``end``."""
    await run_in_threadpool(store.get_run, run_id)
    return StreamingResponse(
        run_events(store, run_id), media_type="text/event-stream", headers=_HEADERS
    )


@router.get(
    "/experiments/{experiment_id}/events",
    response_class=StreamingResponse,
    responses={200: _EVENT_STREAM},
)
async def follow_experiment(
    experiment_id: str,
    store: StoreDependency,
    seconds: Annotated[float, Query(gt=0, le=3600)] = 300,
) -> StreamingResponse:
    """Events ``status`` and ``metrics`` of the experiment's runs for ``seconds``, then ``end``."""
    await run_in_threadpool(store.get_experiment_by_id, experiment_id)
    return StreamingResponse(
        experiment_events(store, experiment_id, seconds),
        media_type="text/event-stream",
        headers=_HEADERS,
    )
