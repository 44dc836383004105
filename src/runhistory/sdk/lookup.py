"""Finding runs the way people name them, and shaping runs for tables, JSON and comparisons.

What the command line (and any other front end) needs on top of ``Run`` and ``Experiment``:
resolving a run reference, listing runs filtered and sorted by their fields and metrics, a run as one
JSON-ready dict, a side-by-side comparison, restoring a snapshot into a folder, downloading files and
following logs.

A run reference is a run id, ``EXPERIMENT:NUMBER`` or a unique prefix of a run id:

>>> import tempfile
>>> from runhistory import Experiment, Workspace
>>> workspace = Workspace(tempfile.mkdtemp())
>>> run = Experiment(workspace, "sweep").start_logging(snapshot_directory=None, outputs=None)
>>> resolve_run(workspace, "sweep:1") == run == resolve_run(workspace, run.id[:12])
True
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import fnmatch
import json
import math
import operator
import re
import shlex
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runhistory.errors import (
    ArtifactNotFoundError,
    ExperimentNotFoundError,
    InvalidValueError,
    RunNotFoundError,
)
from runhistory.model import ExperimentRecord, MetricKind, RunRecord, RunStatus
from runhistory.store.base import RunQuery

if TYPE_CHECKING:
    from runhistory.sdk.model_registry import Model
    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace

_NUMBERED = re.compile(r"^(?P<experiment>[^:]+):(?P<number>\d+)$")
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


# finding runs -----------------------------------------------------------------------------------


def resolve_run(workspace: Workspace, reference: str) -> Run:
    """The run named by ``reference``: a run id, ``EXPERIMENT:NUMBER`` or a unique id prefix.

    Raises ``RunNotFoundError`` naming the reference with close matches, or ``InvalidValueError``
    listing the candidates of an ambiguous prefix."""
    from runhistory.sdk.run import Run

    return Run.get(workspace, resolve_run_record(workspace, reference).id)


def resolve_run_record(workspace: Workspace, reference: str) -> RunRecord:
    """Like ``resolve_run``, the stored record (with metric summaries) instead of a ``Run``."""
    store = workspace.store
    reference = reference.strip()
    if not reference:
        raise InvalidValueError(
            "a run reference is empty; give a run id, EXPERIMENT:NUMBER or an id prefix"
        )
    try:
        return store.get_run(reference)
    except RunNotFoundError:
        pass
    numbered = _NUMBERED.match(reference)
    if numbered:
        return _numbered_run(workspace, numbered["experiment"], int(numbered["number"]))
    candidates = store.find_runs(reference, limit=11)
    if len(candidates) == 1:
        return store.get_run(candidates[0])
    if candidates:
        shown = ", ".join(candidates[:10]) + (", ..." if len(candidates) > 10 else "")
        count = f"{len(candidates) - 1}+" if len(candidates) > 10 else str(len(candidates))
        raise InvalidValueError(
            f"run reference {reference!r} is ambiguous: {count} run ids start with it "
            f"({shown}); give more of the id"
        )
    close = difflib.get_close_matches(reference, _nearby_run_ids(workspace, reference), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise RunNotFoundError(
        f"no run {reference!r} in {workspace.location} (looked for a run id, EXPERIMENT:NUMBER "
        f"and a run id prefix){hint}"
    )


def _numbered_run(workspace: Workspace, experiment_name: str, number: int) -> RunRecord:
    experiment = find_experiment(workspace, experiment_name)
    runs = workspace.store.list_runs(RunQuery(experiment_id=experiment.id))
    for record in runs:
        if record.number == number:
            return record
    numbers = sorted(r.number for r in runs)
    known = f"its runs are numbered {numbers[0]} to {numbers[-1]}" if numbers else "it has no runs"
    raise RunNotFoundError(f"experiment {experiment_name!r} has no run number {number}; {known}")


def _nearby_run_ids(workspace: Workspace, reference: str) -> list[str]:
    """Run ids worth comparing with a reference that matched nothing: ids sharing its first
    characters, and the newest runs."""
    store = workspace.store
    found: set[str] = set()
    for length in (len(reference) * 2 // 3, len(reference) // 3):
        if length >= 3:
            found.update(store.find_runs(reference[:length], limit=50))
    found.update(r.id for r in store.list_runs(RunQuery(limit=200)))
    return sorted(found)


def find_experiment(workspace: Workspace, name: str) -> ExperimentRecord:
    """The experiment ``name``; the error suggests close names when there is none."""
    try:
        return workspace.store.get_experiment(name)
    except ExperimentNotFoundError:
        names = [e.name for e in workspace.store.list_experiments("all")]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else f"experiments: {', '.join(names) or 'none yet'}"
        )
        raise ExperimentNotFoundError(
            f"no experiment {name!r} in {workspace.location}; {hint}"
        ) from None


def latest_run(workspace: Workspace, experiment: str | None = None) -> Run:
    """The newest top-level run of the workspace, or of ``experiment``."""
    from runhistory.sdk.run import Run

    experiment_id = None if experiment is None else find_experiment(workspace, experiment).id
    records = workspace.store.list_runs(
        RunQuery(experiment_id=experiment_id, include_children=False, limit=1)
    )
    if not records:
        where = f"experiment {experiment!r}" if experiment else workspace.location
        raise RunNotFoundError(f"no runs in {where} yet")
    return Run.get(workspace, records[0].id)


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


# listing, filtering and sorting -----------------------------------------------------------------


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


# one run as data ----------------------------------------------------------------------------------


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


# comparing runs -----------------------------------------------------------------------------------


@dataclasses.dataclass
class ComparedField:
    """One row of a comparison: a name, one value per run (None where absent), whether they differ."""

    name: str
    values: list[Any]
    differs: bool
    kind: str | None = None


@dataclasses.dataclass
class RunComparison:
    """Runs side by side, by section: run, metrics, arguments, tags, properties, files."""

    runs: list[RunRecord]
    sections: dict[str, list[ComparedField]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [
                {"runId": r.id, "runNumber": r.number, "experiment": r.experiment_name}
                for r in self.runs
            ],
            "sections": {
                section: [dataclasses.asdict(f) for f in fields]
                for section, fields in self.sections.items()
            },
        }


def compare_runs(workspace: Workspace, references: Sequence[str]) -> RunComparison:
    """The runs named by ``references`` side by side. Metrics compare by their last value (each
    value is ``{"last", "minimum", "maximum", "count"}``); files by content (``{"size",
    "sha256"}``); arguments as ``--option value`` pairs (a flag is True) and positional ``[i]``
    entries; tags and properties by value (a tag without a value is ``""``). Absent is None.
    Start times and durations are shown but never count as differences."""
    if len(references) < 2:
        raise InvalidValueError(f"compare needs at least two runs, got {len(references)}")
    runs = [resolve_run_record(workspace, reference) for reference in references]
    overview: dict[str, Callable[[RunRecord], Any]] = {
        "experiment": lambda r: r.experiment_name,
        "name": lambda r: r.display_name,
        "status": lambda r: r.status.value,
        "started": lambda r: iso_time(r.started),
        "duration": run_duration,
        "script": lambda r: r.script_name,
        "target": lambda r: r.target or "local",
        "parent": lambda r: r.parent_id,
        "command line": lambda r: shlex.join(r.arguments) if r.arguments else None,
    }
    metric_names = sorted({n for r in runs for n in r.metrics})
    files = [
        {a.name: {"size": a.size, "sha256": a.sha256} for a in workspace.store.list_artifacts(r.id)}
        for r in runs
    ]
    arguments = [_argument_map(r.arguments) for r in runs]
    sections = {
        "run": [_compared(name, [read(r) for r in runs]) for name, read in overview.items()],
        "metrics": [_compared_metric(name, runs) for name in metric_names],
        "arguments": _compared_maps(arguments),
        "tags": _compared_maps([r.tags for r in runs]),
        "properties": _compared_maps([r.properties for r in runs]),
        "files": _compared_maps(files),
    }
    for field in sections["run"]:
        # Times differ between any two runs; marking them would only hide the real differences.
        field.differs = field.differs and field.name not in ("started", "duration")
    return RunComparison(runs, sections)


def _compared(name: str, values: list[Any], kind: str | None = None) -> ComparedField:
    encoded = {json.dumps(v, sort_keys=True, default=str) for v in values}
    return ComparedField(name, values, len(encoded) > 1, kind)


def _compared_metric(name: str, runs: Sequence[RunRecord]) -> ComparedField:
    summaries = [r.metrics.get(name) for r in runs]
    kinds = {s.kind.value for s in summaries if s is not None}
    field = _compared(
        name, [None if s is None else s.last for s in summaries], "/".join(sorted(kinds))
    )
    field.values = [
        None
        if s is None
        else {"last": s.last, "minimum": s.minimum, "maximum": s.maximum, "count": s.count}
        for s in summaries
    ]
    return field


def _compared_maps(maps: Sequence[Mapping[str, Any]]) -> list[ComparedField]:
    """One field per key; a key present without a value (a tag such as ``team``) is ``""``,
    so that it differs from an absent key (None)."""
    keys = sorted({k for m in maps for k in m})
    return [_compared(k, [_present(m, k) for m in maps]) for k in keys]


def _present(values: Mapping[str, Any], key: str) -> Any:
    if key not in values:
        return None
    value = values[key]
    return "" if value is None else value


def _argument_map(arguments: Sequence[str]) -> dict[str, Any]:
    """``["--lr", "0.1", "--fast", "data.csv"]`` -> ``{"--lr": "0.1", "--fast": True, "[0]": "data.csv"}``."""

    def is_option(token: str) -> bool:
        return token.startswith("-") and len(token) > 1 and not _looks_numeric(token)

    found: dict[str, Any] = {}
    position = 0
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if is_option(token):
            key, equals, value = token.partition("=")
            if equals:
                found[key] = value
            elif index + 1 < len(arguments) and not is_option(arguments[index + 1]):
                found[key] = arguments[index + 1]
                index += 1
            else:
                found[key] = True
        else:
            found[f"[{position}]"] = token
            position += 1
        index += 1
    return found


def _looks_numeric(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


# snapshots, files and logs ------------------------------------------------------------------------


@dataclasses.dataclass
class RestorePlan:
    """What restoring a run's snapshot into ``folder`` does: the snapshot's files, the existing
    files it overwrites with other content, and the files in the folder that the snapshot lacks
    (only files a snapshot would include count; ignored files are never touched)."""

    run_id: str
    snapshot_id: str
    folder: Path
    files: list[str]
    overwrite: list[str]
    extra: list[str]

    @property
    def changes_existing_files(self) -> bool:
        return bool(self.overwrite or self.extra)


def plan_restore(run: Run, folder: str | Path) -> RestorePlan:
    """The ``RestorePlan`` for restoring ``run``'s snapshot into ``folder``; changes nothing."""
    from runhistory.snapshot import compare_snapshot_folder, snapshot_manifest

    snapshot_id = run.get_snapshot_id()
    if snapshot_id is None:
        raise ArtifactNotFoundError(
            f"run {run.id!r} has no source snapshot (it was started with snapshot_directory=None)"
        )
    store = run.experiment.workspace.store
    target = Path(folder).resolve()
    overwrite, extra = compare_snapshot_folder(store, snapshot_id, target)
    files = sorted(snapshot_manifest(store, snapshot_id))
    return RestorePlan(run.id, snapshot_id, target, files, overwrite, extra)


def restore_run_snapshot(workspace: Workspace, plan: RestorePlan, remove_extra: bool) -> None:
    """Write the snapshot of ``plan`` into its folder; with ``remove_extra``, also delete the
    plan's extra files (and folders they leave empty) so the folder matches the snapshot."""
    from runhistory.snapshot import restore_snapshot_folder

    restore_snapshot_folder(workspace.store, plan.snapshot_id, plan.folder)
    if not remove_extra:
        return
    for name in plan.extra:
        path = plan.folder / name
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != plan.folder and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


@dataclasses.dataclass(frozen=True)
class RunFile:
    """A file of a run (a log stream too) and its size in bytes."""

    name: str
    size: int


def run_files(run: Run, prefix: str | None = None) -> list[RunFile]:
    """The files of ``run`` whose names start with ``prefix`` (every file when None), logs
    included, sorted by name; ``ArtifactNotFoundError`` when none match."""
    store = run.experiment.workspace.store
    files = [RunFile(a.name, a.size) for a in store.list_artifacts(run.id, prefix)]
    for stream in store.log_streams(run.id):
        if not prefix or stream.startswith(prefix):
            files.append(RunFile(stream, len(store.read_log(run.id, stream)[0].encode())))
    if not files:
        names = run.get_file_names()
        what = f"files under {prefix!r}" if prefix else "files"
        known = f"its files: {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}"
        raise ArtifactNotFoundError(
            f"run {run.id!r} has no {what}; {known if names else 'it has none'}"
        )
    return sorted(files, key=lambda f: f.name)


def download_run_files(
    run: Run,
    files: Sequence[RunFile],
    destination: str | Path,
    on_bytes: Callable[[int], object] | None = None,
) -> Iterator[Path]:
    """Write ``files`` under ``destination`` keeping their folders, yielding each path once it is
    written; ``on_bytes(n)`` is called as each block of n bytes is copied."""
    store = run.experiment.workspace.store
    root = Path(destination)
    streams = set(store.log_streams(run.id))
    for file in files:
        target = root / file.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            if file.name in streams:
                data = store.read_log(run.id, file.name)[0].encode()
                out.write(data)
                if on_bytes is not None:
                    on_bytes(len(data))
            else:
                with store.open_artifact(run.id, file.name) as source:
                    while block := source.read(1024 * 1024):
                        out.write(block)
                        if on_bytes is not None:
                            on_bytes(len(block))
        yield target


def follow_logs(
    run: Run, stream: str | None = None, follow: bool = False, poll_interval: float = 0.2
) -> Iterator[tuple[str, str]]:
    """(stream, text) pieces of the run's logs (``logs/...``) in the order they were stored; with
    ``follow``, keep polling until the run reaches a terminal status, then yield what is left."""
    store = run.experiment.workspace.store
    if stream is not None and not stream.startswith("logs/"):
        stream = f"logs/{stream}"
    positions: dict[str, int] = {}
    while True:
        finished = store.get_run(run.id).status.is_terminal
        names = store.log_streams(run.id)
        if stream is not None and stream not in names and (finished or not follow):
            known = ", ".join(names) or "none"
            raise ArtifactNotFoundError(f"run {run.id!r} has no log {stream!r}; its logs: {known}")
        for name in names:
            if stream is not None and name != stream:
                continue
            text, positions[name] = store.read_log(run.id, name, positions.get(name, 0))
            if text:
                yield name, text
        if finished or not follow:
            return
        time.sleep(poll_interval)
