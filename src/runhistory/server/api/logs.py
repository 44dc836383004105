"""Log streams of a run (``logs/std_log.txt``, ...), read from an entry on."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from runhistory.server.dependencies import StoreDependency
from runhistory.server.fields import COUNT_SCHEMA
from runhistory.server.responses import error_responses
from runhistory.server.schemas import LogText

router = APIRouter(tags=["logs"], responses=error_responses(422))


@router.get("/runs/{run_id}/logs", response_model=list[str], responses=error_responses(404))
def log_streams(run_id: str, store: StoreDependency) -> list[str]:
    store.get_run(run_id)
    return store.log_streams(run_id)


@router.get(
    "/runs/{run_id}/logs/{stream:path}", response_model=LogText, responses=error_responses(404)
)
def read_log(
    run_id: str,
    stream: str,
    store: StoreDependency,
    after: Annotated[int, Query(ge=0, lt=2**63), COUNT_SCHEMA] = 0,
) -> LogText:
    store.get_run(run_id)
    text, last = store.read_log(run_id, stream, after)
    return LogText(text=text, last=last)
