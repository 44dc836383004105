"""Runs side by side: which of their fields, metrics, arguments, tags, properties and files differ."""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidValueError
from runhistory.model import RunRecord
from runhistory.sdk.references import resolve_run_record
from runhistory.sdk.run_info import iso_time, run_duration

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace


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
