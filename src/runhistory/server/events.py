"""Live events as server-sent events: what changes in a run or an experiment, as it changes.

Each stream polls the store (so any worker of the server can serve it: workers share nothing)
and sends only what changed since its last look: ``status`` and ``metrics`` (summaries of the
metrics that changed) of runs, and new ``log`` text of a run with ``last``, the log's position
after that text: a client whose connection dropped asks for each log from its ``last`` on and
gets every piece of text exactly once. A run's stream ends with an ``end`` event once the run has
ended; an experiment's stream ends after ``seconds``. Numbers that JSON cannot carry (NaN,
infinities) are sent as null, so browsers can parse every event.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, NamedTuple

from starlette.concurrency import run_in_threadpool

from runhistory.model import RunRecord, RunStatus
from runhistory.store.base import RunQuery, Store
from runhistory.store.run_table import RUN_FIELDS, SUMMARY_FIELD
from runhistory.store.summaries import MetricSummaries

POLL_SECONDS = 0.25
KEEP_ALIVE_SECONDS = 15.0


def server_sent_event(kind: str, data: Any) -> str:
    return f"event: {kind}\ndata: {json.dumps(_json_safe(data), separators=(',', ':'))}\n\n"


async def run_events(
    store: Store, run_id: str, *, after: Mapping[str, int] | None = None, logs: bool = True
) -> AsyncIterator[str]:
    """Status, metric summaries and log text of one run, until it ends.

    Each log is sent from position ``after[stream]`` on (from its start when not given);
    without ``logs``, no log text at all."""
    seen = _Seen()
    positions = dict(after or {})
    while True:
        record = await run_in_threadpool(store.get_run, run_id)
        for event in seen.changes(record):
            yield event
        streams = await run_in_threadpool(store.log_streams, run_id) if logs else []
        for stream in streams:
            text, last = await run_in_threadpool(
                store.read_log, run_id, stream, positions.get(stream, 0)
            )
            positions[stream] = last
            if text:
                log = {"run_id": run_id, "stream": stream, "text": text, "last": last}
                yield server_sent_event("log", log)
        if record.status.is_terminal:
            yield server_sent_event("end", {"run_id": run_id, "status": record.status.value})
            return
        async for keep_alive in seen.pause():
            yield keep_alive


async def experiment_events(store: Store, experiment_id: str, seconds: float) -> AsyncIterator[str]:
    """Status and metric summaries of the runs of an experiment, for ``seconds``.

    Each look reads the runs' rows (``list_run_table``, no record per run) and decodes the
    summaries of a run only when their stored text changed: following an experiment of ten
    thousand finished runs costs the listing of their rows per look, not ten thousand records."""
    seen = _Seen()
    texts: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    query = RunQuery(experiment_id=experiment_id)
    while True:
        table = await run_in_threadpool(store.list_run_table, query)
        for row in reversed(table.rows):
            for event in seen.row_changes(row, texts):
                yield event
        if time.monotonic() >= deadline:
            yield server_sent_event("end", {"experiment_id": experiment_id})
            return
        async for keep_alive in seen.pause():
            yield keep_alive


_STATUS = RUN_FIELDS.index("status")


class _RowView(NamedTuple):
    """What ``_Seen.changes`` reads of a run, taken from its row."""

    id: str
    status: RunStatus
    metrics: MetricSummaries


class _Seen:
    """What a stream has sent of each run, so that it sends only changes."""

    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}
        self.metrics: dict[str, dict[str, list[Any]]] = {}
        self.last_sent = time.monotonic()

    def changes(self, record: RunRecord | _RowView) -> list[str]:
        events = []
        if self.statuses.get(record.id) != record.status.value:
            self.statuses[record.id] = record.status.value
            events.append(
                server_sent_event("status", {"run_id": record.id, "status": record.status.value})
            )
        summaries = {
            s.name: [s.kind.value, s.count, s.last_step, s.last, s.minimum, s.maximum]
            for s in record.metrics.values()
        }
        known = self.metrics.setdefault(record.id, {})
        changed = {name: value for name, value in summaries.items() if known.get(name) != value}
        if changed:
            known.update(changed)
            events.append(server_sent_event("metrics", {"run_id": record.id, "metrics": changed}))
        if events:
            self.last_sent = time.monotonic()
        return events

    def row_changes(self, row: Sequence[Any], texts: dict[str, str]) -> list[str]:
        """``changes`` of a run given as a row of ``run_table.RUN_FIELDS``; ``texts`` keeps the
        summary text last seen of each run, so that unchanged summaries are not decoded."""
        run_id, status, text = row[0], row[_STATUS], row[SUMMARY_FIELD] or ""
        if self.statuses.get(run_id) == status and texts.get(run_id) == text:
            return []
        texts[run_id] = text
        return self.changes(_RowView(run_id, RunStatus(status), MetricSummaries(text)))

    async def pause(self) -> AsyncIterator[str]:
        await asyncio.sleep(POLL_SECONDS)
        if time.monotonic() - self.last_sent >= KEEP_ALIVE_SECONDS:
            self.last_sent = time.monotonic()
            yield ": keep-alive\n\n"


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value
