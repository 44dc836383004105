"""Finding runs and experiments the way people name them, with close matches when none fits.

A run reference is a run id, ``EXPERIMENT:NUMBER`` or a unique prefix of a run id:

>>> import tempfile
>>> from runhistory import Experiment, Workspace
>>> workspace = Workspace(tempfile.mkdtemp())
>>> run = Experiment(workspace, "sweep").start_logging(snapshot_directory=None, outputs=None)
>>> resolve_run(workspace, "sweep:1") == run == resolve_run(workspace, run.id[:12])
True
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

from runhistory.errors import ExperimentNotFoundError, InvalidValueError, RunNotFoundError
from runhistory.model import ExperimentRecord, RunRecord
from runhistory.store.base import RunQuery

if TYPE_CHECKING:
    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace

_NUMBERED = re.compile(r"^(?P<experiment>[^:]+):(?P<number>\d+)$")


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
