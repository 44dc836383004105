"""A run: one execution of a training script, with its metrics, files, tags and properties.

>>> import tempfile
>>> from runhistory import Experiment, Workspace
>>> run = Experiment(Workspace(tempfile.mkdtemp()), "demo").start_logging(snapshot_directory=None)
>>> run.log("loss", 0.5); run.log("loss", 0.25)
>>> run.get_metrics()
{'loss': [0.5, 0.25]}
>>> run.complete(); run.get_status()
'Completed'
"""

from __future__ import annotations

import builtins
import logging
import os
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidStateError, InvalidValueError, RunNotFoundError, StoreError
from runhistory.model import RunRecord, RunStatus, validate_name, validate_text_value
from runhistory.sdk.run_details import RunDetails
from runhistory.sdk.run_files import RunFiles
from runhistory.sdk.run_metrics import RunMetrics
from runhistory.sdk.run_types import azure_run_type, stored_run_type
from runhistory.sdk.script_run import SCRIPT_RUN
from runhistory.store.base import RunQuery

if TYPE_CHECKING:
    from runhistory.sdk.experiment import Experiment
    from runhistory.sdk.workspace import Workspace

log = logging.getLogger("runhistory")

INTERACTIVE = "interactive"
_ACTIVE = (
    RunStatus.NOT_STARTED,
    RunStatus.QUEUED,
    RunStatus.PREPARING,
    RunStatus.STARTING,
    RunStatus.RUNNING,
    RunStatus.FINALIZING,
    RunStatus.CANCEL_REQUESTED,
    RunStatus.NOT_RESPONDING,
)


class Run(RunMetrics, RunFiles, RunDetails):
    """``Run(experiment, run_id)`` attaches to an existing run; new runs come from
    ``Experiment.start_logging``, ``Experiment.submit`` or ``Run.child_run``."""

    def __init__(
        self,
        experiment: Experiment,
        run_id: str,
        outputs: str | os.PathLike[str] | None = None,
    ) -> None:
        record = experiment.workspace.store.get_run(run_id)
        if record.experiment_id != experiment.id:
            raise RunNotFoundError(
                f"run {run_id!r} belongs to experiment {record.experiment_name!r}, not {experiment.name!r}"
            )
        self._attach(experiment, record, fresh=False, outputs=outputs)

    def _attach(
        self,
        experiment: Experiment,
        record: RunRecord,
        *,
        fresh: bool,
        outputs: str | os.PathLike[str] | None,
    ) -> None:
        self.experiment = experiment
        self._workspace = experiment.workspace
        self._settings = self._workspace.settings
        self._store = self._workspace.store
        self._record = record
        self._buffers = None
        self._scalars = {}
        self._framed = {}
        self._layouts = {}
        # A run this object created has no metrics yet: no need to ask the store for their kinds.
        self._kinds = {} if fresh else None
        self._outputs = None if outputs is None else Path(outputs).resolve()
        self._outputs_since = time.time() if fresh else None

    @classmethod
    def _wrap(
        cls, experiment: Experiment, record: RunRecord, *, fresh: bool = False, outputs: Any = None
    ) -> Run:
        run = cls.__new__(cls)
        run._attach(experiment, record, fresh=fresh, outputs=outputs)
        return run

    @classmethod
    def _wrap_many(cls, experiment: Experiment, records: Sequence[RunRecord]) -> list[Run]:
        return [cls._wrap(experiment, r) for r in records]

    @classmethod
    def _start(
        cls,
        experiment: Experiment,
        *,
        snapshot_directory: str | os.PathLike[str] | None,
        outputs: str | os.PathLike[str] | None,
        display_name: str | None,
        tags: Mapping[str, Any] | None,
        description: str | None,
        run_id: str | None = None,
    ) -> Run:
        from runhistory.sdk.interactive import current_user, script_and_arguments
        from runhistory.sdk.script_run import git_properties
        from runhistory.snapshot import take_snapshot

        store = experiment.workspace.store
        settings = experiment.workspace.settings
        clean_tags = _tags(tags or {})
        snapshot_id = None
        if snapshot_directory is not None:
            snapshot_id = take_snapshot(
                store,
                snapshot_directory,
                max_bytes=settings.snapshot_max_bytes,
                max_files=settings.snapshot_max_files,
            )
        script_name, arguments = script_and_arguments()
        record = store.create_run(
            experiment.id,
            status=RunStatus.RUNNING,
            run_type=INTERACTIVE,
            display_name=display_name,
            description=description,
            script_name=script_name,
            arguments=arguments,
            tags=clean_tags,
            properties={}
            if snapshot_directory is None
            else git_properties(_source_folder(snapshot_directory)),
            started=time.time(),
            run_id=run_id,
            config={"submitted_by": current_user()},
        )
        if outputs is not None:
            # Samples write outputs/model.pkl right after start_logging(), as in a submitted run.
            Path(outputs).mkdir(parents=True, exist_ok=True)
        if snapshot_id is not None:
            store.update_run(record.id, snapshot_id=snapshot_id)
            record.snapshot_id = snapshot_id
        return cls._wrap(experiment, record, fresh=True, outputs=outputs)._beating()

    # finding runs -----------------------------------------------------------------------------

    @staticmethod
    def get(workspace: Workspace, run_id: str) -> Run:
        """The run ``run_id`` of any experiment of ``workspace``."""
        from runhistory.sdk.experiment import Experiment

        record = workspace.store.get_run(run_id)
        experiment = Experiment._from_record(
            workspace, workspace.store.get_experiment_by_id(record.experiment_id)
        )
        return Run._wrap(experiment, record)

    @staticmethod
    def list(
        experiment: Experiment,
        type: str | None = None,
        tags: Mapping[str, Any] | Sequence[str] | str | None = None,
        properties: Mapping[str, Any] | Sequence[str] | str | None = None,
        status: str | RunStatus | None = None,
        include_children: bool = False,
    ) -> Iterator[Run]:
        """Runs of ``experiment``, newest first, filtered like ``Experiment.get_runs`` and by status."""
        from runhistory.sdk.experiment import _filter

        query = RunQuery(
            experiment_id=experiment.id,
            include_children=include_children,
            run_type=stored_run_type(type),
            statuses=None if status is None else [_status(status)],
            tags=_filter(tags),
            properties=_filter(properties),
        )
        return iter(Run._wrap_many(experiment, experiment.workspace.store.list_runs(query)))

    @staticmethod
    def get_context(allow_offline: bool = True, used_for_context_manager: bool = False) -> Run:
        """Inside a submitted run, that run; otherwise an offline run (see ``runhistory.sdk.context``)."""
        from runhistory.sdk.context import get_context

        return get_context(allow_offline)

    # identity and attributes ------------------------------------------------------------------

    @property
    def id(self) -> str:  # type: ignore[override]
        return self._record.id

    @property
    def number(self) -> int:
        return self._record.number

    @property
    def type(self) -> str:
        """Azure's name of the run type: ``azureml.scriptrun`` for a submitted run,
        ``interactive`` for ``start_logging``."""
        return azure_run_type(self._record.run_type)

    @property
    def parent(self) -> Run | None:
        if self._record.parent_id is None:
            return None
        return Run._wrap(self.experiment, self._store.get_run(self._record.parent_id))

    @property
    def status(self) -> str:
        return self.get_status()

    @property
    def display_name(self) -> str | None:
        return self._record.display_name

    @display_name.setter
    def display_name(self, value: str | None) -> None:
        text = None if value is None else validate_text_value("display_name", value)
        self._store.update_run(self.id, display_name=text)
        self._record.display_name = text

    @property
    def name(self) -> str | None:
        return self.display_name

    @property
    def description(self) -> str | None:
        return self._record.description

    @description.setter
    def description(self, value: str | None) -> None:
        text = None if value is None else str(value)
        self._store.update_run(self.id, description=text)
        self._record.description = text

    @property
    def tags(self) -> dict[str, str | None]:
        return self.get_tags()

    @property
    def properties(self) -> dict[str, str]:
        return self.get_properties()

    def _refresh(self) -> RunRecord:
        self._record = self._store.get_run(self.id)
        return self._record

    # tags and properties ----------------------------------------------------------------------

    def tag(self, key: str, value: Any = None) -> None:
        """Set tag ``key`` (mutable); ``None`` means a tag without a value."""
        self.set_tags({key: value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self._store.set_tags(self.id, _tags(tags))

    def remove_tags(self, tags: Sequence[str] | str) -> None:
        keys = [tags] if isinstance(tags, str) else list(tags)
        self._store.remove_tags(self.id, [validate_name("tag", k) for k in keys])

    def get_tags(self) -> dict[str, str | None]:
        return dict(self._refresh().tags)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add write-once properties: the same value again is fine, another value raises."""
        if not isinstance(properties, Mapping):
            raise InvalidValueError(f"add_properties takes a dict, not {type(properties).__name__}")
        clean = {
            validate_name("property", k): validate_text_value("property", v)
            for k, v in properties.items()
        }
        self._store.add_properties(self.id, clean)

    def get_properties(self) -> dict[str, str]:
        return dict(self._refresh().properties)

    # lifecycle --------------------------------------------------------------------------------

    def get_status(self) -> str:
        return self._refresh().status.value

    def get_detailed_status(self) -> dict[str, Any]:
        record = self._refresh()
        details = {"status": record.status.value}
        if record.error:
            details["details"] = record.error.get("message", "")
        return details

    def start(self) -> None:
        """Mark a not-yet-started run as Running."""
        if not self._store.set_status(
            self.id,
            RunStatus.RUNNING,
            started=time.time(),
            only_from=[
                RunStatus.NOT_STARTED,
                RunStatus.QUEUED,
                RunStatus.PREPARING,
                RunStatus.STARTING,
            ],
        ):
            raise InvalidStateError(
                f"run {self.id!r} is {self.get_status()}; only a run not started can start"
            )

    def complete(self, _set_status: bool = True) -> None:
        """Flush, upload ``./outputs``, and mark the run Completed."""
        self._finish(RunStatus.COMPLETED, None)

    def fail(
        self,
        error_details: Any = None,
        error_code: str | None = None,
        _set_status: bool = True,
    ) -> None:
        """Flush, upload ``./outputs``, and mark the run Failed with ``error_details``
        (a message, an exception, or a dict)."""
        self._finish(RunStatus.FAILED, _error(error_details, error_code))

    def cancel(self) -> None:
        """Cancel the run: a queued run ends Canceled at once; a running submitted run is asked
        to stop (CancelRequested: SIGTERM, then SIGKILL after a grace period) and ends Canceled;
        an interactive run ends Canceled."""
        if self._record.run_type != SCRIPT_RUN:
            self._finish(RunStatus.CANCELED, None)
            return
        canceled = {"type": "Canceled", "message": "canceled by request before it started"}
        if self._store.set_status(
            self.id,
            RunStatus.CANCELED,
            ended=time.time(),
            error=canceled,
            only_from=[RunStatus.QUEUED],
        ):
            return
        self._store.set_status(
            self.id,
            RunStatus.CANCEL_REQUESTED,
            only_from=[s for s in _ACTIVE if s not in (RunStatus.QUEUED, RunStatus.NOT_STARTED)],
        )

    def _finish(self, status: RunStatus, error: dict[str, Any] | None) -> None:
        try:
            if self._buffers is not None:
                self._workspace.writer.unregister(self.id)
        finally:
            self._buffers = None
            self._scalars = {}
            self._framed = {}
            self._layouts = {}
        if self._outputs is not None:
            try:
                self._capture_outputs(self._outputs, self._outputs_since)
            except StoreError as problem:  # the run still ends; its files stay where they are
                log.error(
                    "runhistory could not upload the outputs of run %s (they stay in %s; "
                    "upload them later with run.upload_folder('outputs', ...)): %s",
                    self.id,
                    self._outputs,
                    problem.message,
                )
        ended = time.time()
        changed = self._store.set_status(
            self.id, status, ended=ended, error=error, only_from=_ACTIVE
        )
        if changed:  # (a server that does not answer has the change waiting in the spool)
            self._record.status, self._record.ended, self._record.error = status, ended, error
            return
        current = self._refresh().status
        if current is not status:
            raise InvalidStateError(
                f"run {self.id!r} is already {current.value}; it cannot become {status.value}"
            )

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: builtins.type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if RunStatus(self._status_if_known()).is_terminal:
            if self._buffers is not None:
                self.flush()
            return
        if error is None or (isinstance(error, SystemExit) and error.code in (0, None)):
            self.complete()
        elif isinstance(error, KeyboardInterrupt):
            self.cancel()
        else:
            self.fail(error)

    def _status_if_known(self) -> str:
        """The stored status, or the last one seen when the store does not answer (a run
        ended against a server that is down has its end waiting in the spool)."""
        try:
            return self.get_status()
        except StoreError:
            return self._record.status.value

    # hierarchy ----------------------------------------------------------------------------------

    def child_run(
        self,
        name: str | None = None,
        run_id: str | None = None,
        outputs: str | os.PathLike[str] | None = None,
    ) -> Run:
        """Start a child run (Running) under this one."""
        record = self._store.create_run(
            self.experiment.id,
            status=RunStatus.RUNNING,
            run_type=self._record.run_type,
            parent_id=self.id,
            display_name=name,
            started=time.time(),
            run_id=run_id,
            config={"submitted_by": (self._record.config or {}).get("submitted_by")},
        )
        if self._record.snapshot_id:
            self._store.update_run(record.id, snapshot_id=self._record.snapshot_id)
        return Run._wrap(self.experiment, record, fresh=True, outputs=outputs)._beating()

    def _beating(self) -> Run:
        """This run, its heartbeat beaten by the workspace's background writer until it ends
        (a run whose process dies stops beating: see docs/storage.md, "Liveness")."""
        self._active_buffers()
        return self

    def create_children(
        self,
        count: int | None = None,
        tag_key: str | None = None,
        tag_values: Sequence[Any] | None = None,
    ) -> builtins.list[Run]:
        """Start ``count`` children, or one per value of ``tag_values`` tagged ``tag_key=value``."""
        if tag_values is not None:
            if tag_key is None:
                raise InvalidValueError("create_children(tag_values=...) also needs tag_key")
            children = []
            for value in tag_values:
                child = self.child_run()
                child.tag(tag_key, value)
                children.append(child)
            return children
        if count is None or count < 0:
            raise InvalidValueError(
                f"create_children needs count >= 0 or tag_values, not count={count!r}"
            )
        return [self.child_run() for _ in range(count)]

    def get_children(
        self,
        recursive: bool = False,
        tags: Mapping[str, Any] | Sequence[str] | str | None = None,
        properties: Mapping[str, Any] | Sequence[str] | str | None = None,
        type: str | None = None,
        status: str | RunStatus | None = None,
        _rehydrate_runs: bool = True,
    ) -> Iterator[Run]:
        """Direct children (all descendants with ``recursive=True``), newest first."""
        from runhistory.sdk.experiment import _filter

        found: builtins.list[Run] = []
        parents = [self.id]
        while parents:
            parent_id = parents.pop(0)
            every = self._store.list_runs(RunQuery(parent_id=parent_id))
            query = RunQuery(
                parent_id=parent_id,
                run_type=stored_run_type(type),
                statuses=None if status is None else [_status(status)],
                tags=_filter(tags),
                properties=_filter(properties),
            )
            matching = (
                self._store.list_runs(query) if (tags or properties or type or status) else every
            )
            found.extend(Run._wrap(self.experiment, r) for r in matching)
            if recursive:
                parents.extend(r.id for r in every)
        return iter(found)

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        """Metrics by name: one value, or a list of values in logging order; rows and tables as
        ``{column: value or [values]}``; images and JSON kinds as references (``populate=True``:
        their content). With ``recursive=True``: ``{run id: metrics}`` for this run and its
        descendants."""
        if not recursive:
            return self._own_metrics(name, populate)
        runs = [self, *self.get_children(recursive=True, type=run_type)]
        return {run.id: run._own_metrics(name, populate) for run in runs}

    def __repr__(self) -> str:
        return f"Run(experiment={self.experiment.name!r}, id={self.id!r}, number={self.number})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def _source_folder(snapshot_directory: str | os.PathLike[str]) -> Path:
    """The folder whose git state an interactive run records: the one it snapshots (the file's
    folder when it snapshots one file)."""
    folder = Path(snapshot_directory).absolute()
    return folder if folder.is_dir() else folder.parent


def _tags(tags: Mapping[str, Any]) -> dict[str, str | None]:
    if not isinstance(tags, Mapping):
        raise InvalidValueError(f"tags must be a dict of key -> value, not {type(tags).__name__}")
    return {
        validate_name("tag", k): None if v is None else validate_text_value("tag", v)
        for k, v in tags.items()
    }


def _status(status: str | RunStatus) -> RunStatus:
    try:
        return RunStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in RunStatus)
        raise InvalidValueError(f"status {status!r} is not one of {choices}") from None


def _error(details: Any, code: str | None) -> dict[str, Any]:
    if isinstance(details, BaseException):
        error = {
            "type": type(details).__name__,
            "message": str(details),
            "traceback": "".join(
                traceback.format_exception(type(details), details, details.__traceback__)
            ),
        }
    elif isinstance(details, Mapping):
        error = {str(k): v for k, v in details.items()}
    elif details is None:
        error = {"message": "the run was marked failed"}
    else:
        error = {"message": str(details)}
    if code is not None:
        error["code"] = code
    return error
