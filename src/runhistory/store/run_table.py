"""Runs as a table: the rows a listing reads from the database, and the records built from them.

The SQL store builds its ``RunRecord``s from these rows, and a server sends the same rows as they
are (``POST /runs/search`` with ``"format": "table"``) for the client to build its records with
the same code: a listing of thousands of runs then costs no document per run on the server, and
metric summaries travel in the compact text the store keeps, decoded only when read.

>>> row = ("r1", "e1", "demo", 1, "Completed", "interactive", 1.0, None, None, None, None,
...        None, '["--lr", "0.1"]', 1.0, 2.0, 2.0, None, None, "", None)
>>> run_records(RunTable([row], [("r1", "team", "vision")], []))[0].tags
{'team': 'vision'}
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
from collections.abc import Iterator, Sequence
from typing import Any

from runhistory.model import RunRecord, RunStatus
from runhistory.store.summaries import MetricSummaries

# The fields of a row, in order. ``arguments``, ``error`` and ``config`` are JSON text.
RUN_FIELDS = (
    "id", "experiment_id", "experiment_name", "number", "status", "run_type", "created",
    "parent_id", "display_name", "description", "target", "script_name", "arguments", "started",
    "ended", "heartbeat", "error", "snapshot_id", "metrics_summary", "config",
)  # fmt: skip
SUMMARY_FIELD = RUN_FIELDS.index("metrics_summary")


@dataclasses.dataclass
class RunTable:
    """Rows of ``RUN_FIELDS``, newest first, and the (run id, key, value) rows of their tags and
    properties."""

    rows: list[Sequence[Any]]
    tags: list[Sequence[Any]]
    properties: list[Sequence[Any]]


def share_headers(rows: list[Any]) -> list[Any]:
    """The rows to send: a summary whose first line (names and kinds) equals that of the row
    before it starts with ``^`` instead, as the runs of one experiment mostly share it."""
    previous = None
    for index, row in enumerate(rows):
        header, newline, rest = (row[SUMMARY_FIELD] or "").partition("\n")
        if newline and header == previous:
            rows[index] = shared = list(row)
            shared[SUMMARY_FIELD] = "^\n" + rest
        previous = header
    return rows


def restore_headers(rows: list[Any]) -> list[Any]:
    """The inverse of ``share_headers``, on rows received."""
    header = ""
    for row in rows:
        text = row[SUMMARY_FIELD] or ""
        if text.startswith("^\n"):
            row[SUMMARY_FIELD] = header + text[1:]
        else:
            header = text.partition("\n")[0]
    return rows


def run_records(table: RunTable) -> list[RunRecord]:
    arguments: dict[str, list[str]] = {}
    with _collector_paused():
        records = {row[0]: run_record(row, arguments) for row in table.rows}
    for run_id, key, value in table.tags:
        if run_id in records:
            records[run_id].tags[key] = value
    for run_id, key, value in table.properties:
        if run_id in records:
            records[run_id].properties[key] = value
    return list(records.values())


def run_record(row: Sequence[Any], arguments: dict[str, list[str]] | None = None) -> RunRecord:
    """A record (without tags and properties) from a row; ``arguments`` caches parsed argument
    lists of one listing (runs of a sweep often share them; each record gets its own copy)."""
    text = row[12]
    if not text or text == "[]":
        parsed: list[str] = []
    elif arguments is None:
        parsed = _json(text)
    else:
        cached = arguments.get(text)
        if cached is None:
            cached = arguments[text] = _json(text)
        parsed = list(cached)
    # Positional, in RunRecord's field order: this runs once per listed run.
    return RunRecord(
        row[0], row[1], row[2], row[3], RunStatus(row[4]), row[5], row[6], row[7], row[8], row[9],
        row[10], row[11], parsed, row[13], row[14], row[15], _json(row[16]), row[17],
        _json(row[19]), {}, {}, MetricSummaries(row[18]),
    )  # fmt: skip


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many records: they hold no cycles,
    and scanning them again and again as they are created costs more than building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# The store writes these JSON texts itself (no surrounding whitespace), so the decoder's scan
# alone will do; json.loads adds two regex matches per call, a third of a listing's time.
_decode_json = json.JSONDecoder().raw_decode


def _json(text: str | None) -> Any:
    return _decode_json(text)[0] if text else None
