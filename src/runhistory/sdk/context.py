"""``Run.get_context()``: the submitted run this process is, or an offline stand-in.

Outside a submitted run, ``RUNHISTORY_OFFLINE=print`` (the default) gives an ``OfflineRun`` that
prints what would be logged, as the Azure SDK does; ``RUNHISTORY_OFFLINE=record`` records into the
default workspace under experiment ``offline`` (one run per process, completed at exit).
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidStateError
from runhistory.settings import Settings

if TYPE_CHECKING:
    from runhistory.sdk.run import Run

_lock = threading.Lock()
_context_run: Any = None


def get_context(allow_offline: bool = True, settings: Settings | None = None) -> Run:
    global _context_run
    settings = settings or Settings.from_env()
    with _lock:
        if _context_run is not None:
            return _context_run  # type: ignore[no-any-return]
        if settings.run_id:
            _context_run = _submitted_run(settings)
        elif not allow_offline:
            raise InvalidStateError(
                "this process is not a submitted run (RUNHISTORY_RUN_ID is unset); "
                "pass allow_offline=True to get an offline run"
            )
        elif settings.offline == "record":
            _context_run = _recorded_run(settings)
        else:
            _context_run = OfflineRun()
        return _context_run  # type: ignore[no-any-return]


def _submitted_run(settings: Settings) -> Run:
    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace

    assert settings.run_id is not None
    return Run.get(Workspace(settings.workspace, settings=settings), settings.run_id)


def _recorded_run(settings: Settings) -> Run:
    from runhistory.sdk.experiment import Experiment
    from runhistory.sdk.workspace import Workspace

    run = Experiment(Workspace(settings=settings), "offline").start_logging(snapshot_directory=None)
    atexit.register(_complete_at_exit, run)
    return run


def _complete_at_exit(run: Run) -> None:
    try:
        if run.get_status() == "Running":
            run.complete()
    except Exception as error:  # at exit nothing is left to raise to
        logging.getLogger("runhistory").error("could not complete the offline run: %s", error)


class OfflineRun:
    """Stands in for a run outside a submitted run: prints what it would log."""

    def __init__(self) -> None:
        self.id = f"OfflineRun_{uuid.uuid4()}"
        self.number = 0
        self.type = "offline"
        self.parent = None
        self.display_name: str | None = None
        self.description: str | None = None
        self._tags: dict[str, str | None] = {}
        self._properties: dict[str, str] = {}
        self._metrics: dict[str, list[Any]] = {}

    def _print(self, what: str, name: str, value: Any) -> None:
        print(f"Attempted to log {what} metric {name}:\n{value}", file=sys.stdout)
        self._metrics.setdefault(name, []).append(value)

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        self._print("scalar", name, value)

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        for name, value in metrics.items():
            self._print("scalar", name, value)

    def log_list(self, name: str, value: Iterable[Any], description: str = "") -> None:
        self._print("list", name, list(value))

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._print("row", name, kwargs)

    def log_table(self, name: str, value: Mapping[str, Any], description: str = "") -> None:
        self._print("table", name, dict(value))

    def log_image(
        self, name: str, path: Any = None, plot: Any = None, description: str = ""
    ) -> None:
        self._print("image", name, path if path is not None else "<plot>")

    def _log_json(self, name: str, value: Any, description: str = "") -> None:
        self._print("json", name, value)

    log_confusion_matrix = log_accuracy_table = log_residuals = log_predictions = _log_json

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        found = {k: v[0] if len(v) == 1 else list(v) for k, v in self._metrics.items()}
        return found if name is None else {name: found[name]} if name in found else {}

    def tag(self, key: str, value: Any = None) -> None:
        self._tags[key] = None if value is None else str(value)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.tag(key, value)

    def get_tags(self) -> dict[str, str | None]:
        return dict(self._tags)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        self._properties.update({k: str(v) for k, v in properties.items()})

    def get_properties(self) -> dict[str, str]:
        return dict(self._properties)

    def upload_file(
        self, name: str, path_or_stream: Any, datastore_name: str | None = None
    ) -> None:
        print(f"Attempted to upload file {name}", file=sys.stdout)

    def get_status(self) -> str:
        return "Running"

    def _ignore(self, *args: Any, **kwargs: Any) -> None:
        return None

    complete = fail = cancel = flush = start = _ignore

    def _append_log(self, stream: str, text: str) -> None:
        sys.stderr.write(text)

    def __enter__(self) -> OfflineRun:
        return self

    def __exit__(self, *args: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"OfflineRun(id={self.id!r})"
