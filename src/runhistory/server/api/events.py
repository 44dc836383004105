"""Server-sent event streams of a run and of an experiment (see ``server/events.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from runhistory.errors import InvalidValueError
from runhistory.server.dependencies import StoreDependency
from runhistory.server.events import experiment_events, run_events
from runhistory.server.responses import error_responses

router = APIRouter(tags=["events"], responses=error_responses(422))

_EVENT_STREAM = {"content": {"text/event-stream": {"schema": {"type": "string"}}}}
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@router.get(
    "/runs/{run_id}/events",
    response_class=StreamingResponse,
    responses={200: _EVENT_STREAM, **error_responses(400, 404)},
)
async def follow_run(
    run_id: str,
    store: StoreDependency,
    after: Annotated[
        list[str] | None,
        Query(description="STREAM:POSITION, where to start a log (repeat for several)"),
    ] = None,
    logs: Annotated[bool, Query(description="false: send no log text")] = True,
) -> StreamingResponse:
    """Events ``status``, ``metrics``, ``log`` of the run as they happen, then ``end``.

    A ``log`` event carries ``{run_id, stream, text, last}``: ``last`` is the position in the
    log after ``text``. Logs are sent from their start, except those named by ``after``, given
    as ``STREAM:POSITION`` (repeated for several logs): a client that lost its connection asks
    again with the ``last`` of each log it got, e.g.
    ``?after=logs/std_log.txt:42&after=logs/driver_log.txt:40``, and gets the rest of each log
    exactly once. ``logs=false`` sends no log text at all."""
    positions = log_positions(after or [])
    await run_in_threadpool(store.get_run, run_id)
    return StreamingResponse(
        run_events(store, run_id, after=positions, logs=logs),
        media_type="text/event-stream",
        headers=_HEADERS,
    )


def log_positions(after: list[str]) -> dict[str, int]:
    """``{stream: position}`` from ``STREAM:POSITION`` values of the ``after`` parameter."""
    positions = {}
    for value in after:
        stream, _, position = value.rpartition(":")
        # Past 19 digits a number is out of range; int() of thousands of digits would fail.
        digits = position.lstrip("0") or "0"
        number = -1
        if position.isascii() and position.isdigit() and len(digits) <= 19:
            number = int(digits)
        if not stream or not 0 <= number < 2**63:
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise InvalidValueError(
                f"after={shown!r} is not STREAM:POSITION; give a log and the 'last' of its "
                "latest log event, e.g. after=logs/std_log.txt:42"
            )
        positions[stream] = number
    return positions


@router.get(
    "/experiments/{experiment_id}/events",
    response_class=StreamingResponse,
    responses={200: _EVENT_STREAM, **error_responses(404)},
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
