"""Listing experiments, models and runs; runs filtered and sorted by their fields and metrics.

A run field is ``metric:NAME`` (its last value), ``tag:NAME``, ``property:NAME`` or one of created,
started, ended, duration, status, number, id, experiment, name, script, target::

    list_runs(workspace, experiment="sweep", where=["metric:acc >= 0.9"], sort="metric:mse asc")
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidValueError
from runhistory.model import ExperimentRecord, RunRecord, RunStatus
from runhistory.sdk.references import find_experiment
from runhistory.sdk.run_info import last_values, run_duration
from runhistory.store.base import RunQuery

if TYPE_CHECKING:
    from runhistory.sdk.model_registry import Model
    from runhistory.sdk.workspace import Workspace

_SORT_ITEM = re.compile(r"^\s*(?P<field>.+?)(?:\s+(?P<direction>asc|desc))?\s*$", re.IGNORECASE)
_CONDITION = re.compile(r"^\s*(?P<field>.+?)\s*(?P<op><=|>=|!=|==|=|<|>)\s*(?P<value>.*?)\s*$")
_PLAIN_FIELDS: dict[str, Callable[[RunRecord], Any]] = {
    "created": lambda r: r.created,
    "started": lambda r: r.started,
    "ended": lambda r: r.ended,
    "duration": lambda r: run_duration(r),
    "status": lambda r: r.status.value,
    "number": lambda r: r.number,
    "id": lambda r: r.id,
    "experiment": lambda r: r.experiment_name,
    "name": lambda r: r.display_name,
    "script": lambda r: r.script_name,
    "target": lambda r: r.target,
}
_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_PREFIXES = {"metric:": "metric", "metrics.": "metric", "tag:": "tag", "tags.": "tag"}
_PREFIXES |= {"property:": "property", "properties.": "property"}


def list_experiments(
    workspace: Workspace, pattern: str | None = None, view_type: str = "active"
) -> list[ExperimentRecord]:
    """Experiments by name; ``pattern`` is a glob such as ``"sweep*"``; ``view_type`` is
    ``"active"``, ``"archived"`` or ``"all"``."""
    found = workspace.store.list_experiments(view_type)
    return [e for e in found if pattern is None or fnmatch.fnmatchcase(e.name, pattern)]


def list_models(
    workspace: Workspace,
    name: str | None = None,
    experiment: str | None = None,
    latest: bool = False,
) -> list[Model]:
    """Registered models (newest version first within a name); with ``experiment``, only those
    registered from its runs; with ``latest``, only the newest version of each."""
    from runhistory.sdk.model_registry import Model

    models = Model.list(workspace, name=name, latest=latest)
    if experiment is None:
        return models
    experiment_id = find_experiment(workspace, experiment).id
    run_ids = {r.id for r in workspace.store.list_runs(RunQuery(experiment_id=experiment_id))}
    return [m for m in models if m.run_id in run_ids]


def list_runs(
    workspace: Workspace,
    *,
    experiment: str | None = None,
    statuses: Sequence[str | RunStatus] = (),
    tags: Mapping[str, str | None] | None = None,
    where: Sequence[str] = (),
    sort: str | None = None,
    limit: int | None = None,
    include_children: bool = True,
) -> list[RunRecord]:
    """Runs newest first, or in the order of ``sort`` (``"metric:mse asc, created desc"``).

    ``tags`` maps a key to the value it must have (None: only present); ``where`` holds conditions
    such as ``"metric:acc >= 0.9"`` or ``"duration < 60"``, all of which must hold."""
    query = RunQuery(
        experiment_id=None if experiment is None else find_experiment(workspace, experiment).id,
        include_children=include_children,
        statuses=[_status(s) for s in statuses] or None,
        tags=dict(tags) if tags else None,
        limit=limit if not (sort or where) else None,
    )
    records = workspace.store.list_runs(query)
    # Sorting first lets both check their fields against every run, not only the matching ones.
    if sort:
        records = sort_runs(records, sort)
    if where:
        records = filter_runs(records, where)
    return records[:limit] if limit is not None else records


def sort_runs(records: Sequence[RunRecord], expression: str) -> list[RunRecord]:
    """``records`` ordered by ``expression``: comma-separated ``FIELD [asc|desc]`` (default asc),
    where FIELD is ``metric:NAME`` (its last value), ``tag:NAME``, ``property:NAME`` or one of
    created, started, ended, duration, status, number, id, experiment, name, script, target.
    Runs without a value come last either way."""
    keys = []
    for item in expression.split(","):
        match = _SORT_ITEM.match(item)
        if match is None or not match["field"]:
            raise InvalidValueError(
                f"sort {expression!r} is not 'FIELD [asc|desc], ...' such as 'metric:mse asc'"
            )
        field = _field_reader(match["field"], records)
        keys.append((field, (match["direction"] or "asc").lower() == "desc"))
    ordered = list(records)
    for field, descending in reversed(keys):
        values = {id(r): _sort_key(field(r), descending) for r in ordered}
        ordered.sort(key=lambda r: values[id(r)], reverse=descending)
    return ordered


def filter_runs(records: Sequence[RunRecord], conditions: Sequence[str]) -> list[RunRecord]:
    """The runs for which every condition (``FIELD OP VALUE``, OP one of < <= > >= = != ==) holds;
    a run without a value for FIELD does not match."""
    tests = [_condition(text, records) for text in conditions]
    return [r for r in records if all(test(r) for test in tests)]


def _condition(text: str, records: Sequence[RunRecord]) -> Callable[[RunRecord], bool]:
    match = _CONDITION.match(text)
    if match is None or not match["field"]:
        raise InvalidValueError(
            f"condition {text!r} is not 'FIELD OP VALUE' such as 'metric:acc >= 0.9' "
            "(OP one of <, <=, >, >=, =, !=)"
        )
    read = _field_reader(match["field"], records)
    op, wanted = match["op"], _parse_value(match["value"])

    def test(record: RunRecord) -> bool:
        value = read(record)
        if value is None or _is_nan(value):
            return False
        if op in ("=", "=="):
            return _same(value, wanted)
        if op == "!=":
            return not _same(value, wanted)
        if isinstance(wanted, float) != _is_number(value):
            return False
        return bool(_ORDERINGS[op](value, wanted))

    return test


def _field_reader(text: str, records: Sequence[RunRecord]) -> Callable[[RunRecord], Any]:
    field = text.strip()
    for prefix, kind in _PREFIXES.items():
        if field.lower().startswith(prefix):
            name = field[len(prefix) :].strip()
            _check_known(kind, name, records)
            if kind == "metric":
                return lambda r: _metric_last(r, name)
            if kind == "tag":
                return lambda r: r.tags.get(name)
            return lambda r: r.properties.get(name)
    reader = _PLAIN_FIELDS.get(field.lower())
    if reader is None:
        raise InvalidValueError(
            f"{field!r} is not a run field; use metric:NAME, tag:NAME, property:NAME or one of "
            f"{', '.join(_PLAIN_FIELDS)}"
        )
    return reader


def _check_known(kind: str, name: str, records: Sequence[RunRecord]) -> None:
    known: set[str] = set()
    for record in records:
        known.update(
            record.metrics
            if kind == "metric"
            else record.tags
            if kind == "tag"
            else record.properties
        )
    if records and name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=3)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else f"known: {', '.join(sorted(known)[:20]) or 'none'}"
        )
        raise InvalidValueError(f"no listed run has {kind} {name!r}; {hint}")


def _metric_last(record: RunRecord, name: str) -> Any:
    return last_values(record).get(name)


def _sort_key(value: Any, descending: bool) -> tuple[bool, int, Any]:
    present = value is not None and not _is_nan(value)
    comparable: Any
    if not present:
        rank, comparable = 0, 0
    elif _is_number(value):
        rank, comparable = 0, float(value)
    else:
        rank, comparable = 1, str(value)
    # Missing values sort last both ways: the flag sorts before the value.
    return (present if descending else not present), rank, comparable


def _parse_value(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text.strip("'\"")


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, float) and _is_number(value):
        return float(value) == wanted
    return str(value).lower() == str(wanted).lower()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _status(status: str | RunStatus) -> RunStatus:
    for candidate in RunStatus:
        if str(status).lower() == candidate.value.lower():
            return candidate
    choices = ", ".join(s.value for s in RunStatus)
    raise InvalidValueError(f"status {status!r} is not one of {choices}")
