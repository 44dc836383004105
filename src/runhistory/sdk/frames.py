"""pandas frames of metrics and runs, for notebooks: ``Run.get_metrics_frame()`` and
``Experiment.get_runs_frame()`` (one row per run, as ``mlflow.search_runs`` gives).

pandas is optional: without it these calls raise ``InvalidStateError`` saying to
``pip install pandas``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidStateError
from runhistory.model import RunRecord

if TYPE_CHECKING:
    import pandas


def import_pandas(call: str) -> Any:
    """The pandas module, or an error that says how to get it."""
    try:
        import pandas
    except ImportError:
        raise InvalidStateError(
            f"{call} returns a pandas DataFrame and pandas is not installed; "
            "run 'pip install pandas'"
        ) from None
    return pandas


def runs_frame(records: Sequence[RunRecord]) -> pandas.DataFrame:
    """One row per run: ids, status, times, script, then ``metrics.<name>`` (the last value of
    scalar metrics), ``tags.<key>`` and ``properties.<key>`` columns, newest run first."""
    pandas = import_pandas("get_runs_frame()")
    rows = [_run_row(record) for record in records]
    fixed = [
        "run_id",
        "experiment",
        "number",
        "display_name",
        "status",
        "start_time",
        "end_time",
        "script",
        "arguments",
        "parent_run_id",
    ]
    extra = sorted({key for row in rows for key in row} - set(fixed))
    return pandas.DataFrame(rows, columns=[*fixed, *extra])


def _run_row(record: RunRecord) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": record.id,
        "experiment": record.experiment_name,
        "number": record.number,
        "display_name": record.display_name,
        "status": record.status.value,
        "start_time": _time(record.started),
        "end_time": _time(record.ended),
        "script": record.script_name,
        "arguments": " ".join(record.arguments),
        "parent_run_id": record.parent_id,
    }
    for name, summary in record.metrics.items():
        if not summary.kind.is_columnar and not summary.kind.is_artifact:
            row[f"metrics.{name}"] = summary.last
    row.update({f"tags.{k}": v for k, v in record.tags.items()})
    row.update({f"properties.{k}": v for k, v in record.properties.items()})
    return row


def _time(timestamp: float | None) -> datetime.datetime | None:
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
