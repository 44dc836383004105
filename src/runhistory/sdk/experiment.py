"""Experiments: named groups of runs in a workspace.

>>> import tempfile
>>> from runhistory import Workspace
>>> experiment = Experiment(Workspace(tempfile.mkdtemp()), "sweep")
>>> run = experiment.start_logging(snapshot_directory=None)
>>> run.log("alpha", 0.1); run.complete()
>>> [r.id for r in experiment.get_runs()] == [run.id]
True
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidValueError
from runhistory.model import (
    ExperimentRecord,
    RunStatus,
    validate_experiment_name,
    validate_name,
    validate_text_value,
)
from runhistory.store.base import RunQuery

if TYPE_CHECKING:
    import pandas

    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace


class Experiment:
    """Get or create the experiment ``name`` in ``workspace``."""

    def __init__(self, workspace: Workspace, name: str) -> None:
        self.workspace = workspace
        self._record = workspace.store.get_or_create_experiment(validate_experiment_name(name))

    @classmethod
    def _from_record(cls, workspace: Workspace, record: ExperimentRecord) -> Experiment:
        experiment = cls.__new__(cls)
        experiment.workspace = workspace
        experiment._record = record
        return experiment

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def archived(self) -> bool:
        return self._refresh().archived

    @property
    def tags(self) -> dict[str, str | None]:
        return dict(self._refresh().tags)

    def _refresh(self) -> ExperimentRecord:
        self._record = self.workspace.store.get_experiment_by_id(self.id)
        return self._record

    @staticmethod
    def list(
        workspace: Workspace, experiment_name: str | None = None, view_type: str = "active"
    ) -> list[Experiment]:
        """Experiments of the workspace: ``"active"`` (default), ``"archived"`` or ``"all"``
        (Azure's ``"ActiveOnly"``, ``"ArchivedOnly"``, ``"All"`` too); only the one named
        ``experiment_name`` when given."""
        view = _AZURE_VIEW_TYPES.get(view_type, view_type)
        return [
            Experiment._from_record(workspace, r)
            for r in workspace.store.list_experiments(view)
            if experiment_name is None or r.name == experiment_name
        ]

    def start_logging(
        self,
        *,
        snapshot_directory: str | os.PathLike[str] | None = ".",
        outputs: str | os.PathLike[str] | None = "./outputs",
        display_name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> Run:
        """Start an interactive run (status Running), snapshotting ``snapshot_directory``."""
        from runhistory.sdk.run import Run

        return Run._start(
            self,
            snapshot_directory=snapshot_directory,
            outputs=outputs,
            display_name=display_name,
            tags=tags,
            description=description,
        )

    def submit(self, config: Any, tags: Mapping[str, Any] | None = None) -> Run:
        """Queue a ``ScriptRunConfig`` as a run on its compute target; returns at once (Queued)."""
        from runhistory.sdk.script_run import submit

        return submit(self, config, tags)

    def get_runs(
        self,
        type: str | None = None,
        tags: Mapping[str, Any] | Sequence[str] | str | None = None,
        properties: Mapping[str, Any] | Sequence[str] | str | None = None,
        include_children: bool = False,
    ) -> Iterator[Run]:
        """Runs of this experiment, newest first. ``tags``/``properties``: a key that must be
        present, or a dict whose items must all match."""
        from runhistory.sdk.run import Run
        from runhistory.sdk.run_types import stored_run_type

        query = RunQuery(
            experiment_id=self.id,
            include_children=include_children,
            run_type=stored_run_type(type),
            tags=_filter(tags),
            properties=_filter(properties),
        )
        return iter(Run._wrap_many(self, self.workspace.store.list_runs(query)))

    def get_runs_frame(
        self,
        type: str | None = None,
        tags: Mapping[str, Any] | Sequence[str] | str | None = None,
        properties: Mapping[str, Any] | Sequence[str] | str | None = None,
        include_children: bool = False,
    ) -> pandas.DataFrame:
        """The runs ``get_runs`` gives, as a pandas DataFrame with one row per run (like
        ``mlflow.search_runs``): ids, status, times, script, arguments, and ``metrics.<name>``
        (last value), ``tags.<key>``, ``properties.<key>`` columns."""
        from runhistory.sdk.frames import import_pandas, runs_frame
        from runhistory.sdk.run_types import stored_run_type

        import_pandas("get_runs_frame()")
        query = RunQuery(
            experiment_id=self.id,
            include_children=include_children,
            run_type=stored_run_type(type),
            tags=_filter(tags),
            properties=_filter(properties),
        )
        return runs_frame(self.workspace.store.list_runs(query))

    def archive(self) -> None:
        self.workspace.store.update_experiment(self.id, archived=True)

    def reactivate(self, new_name: str | None = None) -> None:
        """Make an archived experiment active again (under its own name)."""
        if new_name is not None and new_name != self.name:
            raise InvalidValueError(
                f"reactivate(new_name={new_name!r}): experiments keep their name here; "
                f"reactivate {self.name!r} without new_name"
            )
        self.workspace.store.update_experiment(self.id, archived=False)

    def tag(self, key: str, value: Any = None) -> None:
        validate_name("tag", key)
        text = None if value is None else validate_text_value("tag", value)
        self.workspace.store.update_experiment(self.id, tags={key: text})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.tag(key, value)

    def _repr_html_(self) -> str:
        runs = self.workspace.store.list_runs(
            RunQuery(experiment_id=self.id, include_children=False)
        )
        active = sum(
            1 for r in runs if not r.status.is_terminal and r.status != RunStatus.NOT_STARTED
        )
        cells = [
            ("Name", html.escape(self.name)),
            ("Workspace", html.escape(self.workspace.location)),
            ("Runs", str(len(runs))),
            ("Active", str(active)),
            (
                "Last activity",
                time.strftime("%Y-%m-%d %H:%M", time.gmtime(runs[0].created)) if runs else "-",
            ),
        ]
        head = "".join(f"<th>{k}</th>" for k, _ in cells)
        body = "".join(f"<td>{v}</td>" for _, v in cells)
        return f"<table><tr>{head}</tr><tr>{body}</tr></table>"

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r}, workspace={self.workspace.location!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


_AZURE_VIEW_TYPES = {"ActiveOnly": "active", "ArchivedOnly": "archived", "All": "all"}


def _filter(
    wanted: Mapping[str, Any] | Sequence[str] | str | None,
) -> Mapping[str, str | None] | Sequence[str] | None:
    if wanted is None:
        return None
    if isinstance(wanted, str):
        return [wanted]
    if isinstance(wanted, Mapping):
        return {k: None if v is None else str(v) for k, v in wanted.items()}
    return list(wanted)
