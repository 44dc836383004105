"""One run as data: its duration, its times in ISO 8601, the last value and kind of each metric,
and the JSON-ready dicts of ``history list`` (``run_summary``) and ``history show`` (``run_info``)."""

from __future__ import annotations

import datetime
import fnmatch
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runhistory.model import MetricKind, RunRecord

if TYPE_CHECKING:
    from runhistory.sdk.run import Run


def run_duration(record: RunRecord, now: float | None = None) -> float | None:
    """Seconds from start to end (to now while the run is active); None before it starts."""
    if record.started is None:
        return None
    end = record.ended if record.ended is not None else (now or time.time())
    return round(max(end - record.started, 0.0), 3)


def iso_time(timestamp: float | None) -> str | None:
    """UTC ISO 8601 with milliseconds, as in ``Run.get_details()``: ``2024-05-01T12:00:00.000Z``."""
    if timestamp is None:
        return None
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def last_values(record: RunRecord) -> Mapping[str, Any]:
    """``{metric name: last value}`` of a run, from its summaries (no points are read)."""
    metrics = record.metrics
    # The SQL store's lazily decoded summaries answer this without an object per metric.
    fast = getattr(metrics, "last_values", None)
    if fast is not None:
        values: Mapping[str, Any] = fast()
        return values
    return {name: summary.last for name, summary in metrics.items()}


def metric_kinds(record: RunRecord) -> Mapping[str, str]:
    """``{metric name: kind}`` of a run (kinds as their string values, e.g. ``"scalar"``)."""
    metrics = record.metrics
    fast = getattr(metrics, "kinds", None)
    if fast is not None:
        kinds: Mapping[str, str] = fast()
        return kinds
    return {name: summary.kind.value for name, summary in metrics.items()}


def scalar_metric_names(records: Iterable[RunRecord], patterns: Sequence[str] = ()) -> list[str]:
    """Sorted names of the scalar metrics of ``records``; with ``patterns`` (globs such as
    ``"val_*"``), only the matching ones, in the order of the patterns."""
    kinds = [metric_kinds(r) for r in records]
    every: set[str] = set().union(*kinds)
    names = sorted(n for n in every if any(k.get(n) == MetricKind.SCALAR for k in kinds))
    if not patterns:
        return names
    chosen: list[str] = []
    for pattern in patterns:
        chosen.extend(n for n in names if fnmatch.fnmatchcase(n, pattern) and n not in chosen)
    return chosen


def run_summary(record: RunRecord) -> dict[str, Any]:
    """A run of a listing as a JSON-ready dict: ids, status, times, script and the last value of
    every scalar metric (``metrics``)."""
    kinds = metric_kinds(record)
    return {
        "runId": record.id,
        "runNumber": record.number,
        "experiment": record.experiment_name,
        "displayName": record.display_name,
        "status": record.status.value,
        "createdTimeUtc": iso_time(record.created),
        "startTimeUtc": iso_time(record.started),
        "endTimeUtc": iso_time(record.ended),
        "duration": run_duration(record),
        "scriptName": record.script_name,
        "target": record.target or "local",
        "arguments": list(record.arguments),
        "parentRunId": record.parent_id,
        "tags": dict(record.tags),
        "properties": dict(record.properties),
        "metrics": {
            name: value
            for name, value in sorted(last_values(record).items())
            if kinds.get(name) == MetricKind.SCALAR
        },
    }


def run_info(run: Run) -> dict[str, Any]:
    """Everything about one run as a JSON-ready dict: ``Run.get_details()`` plus every metric
    (``get_metrics()``: scalars as values, series as lists, images and JSON kinds as references)
    and the names of its files."""
    details = run.get_details()
    details["metrics"] = run.get_metrics()
    details["files"] = run.get_file_names()
    return details
