"""The workspace: where experiments and runs are kept.

>>> import tempfile
>>> ws = Workspace(tempfile.mkdtemp())
>>> ws.location.endswith(".runhistory") or True
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runhistory.errors import InvalidValueError, WorkspaceNotFoundError
from runhistory.settings import Settings

if TYPE_CHECKING:
    from runhistory.sdk.experiment import Experiment
    from runhistory.store.base import Store
    from runhistory.writer import Writer

WORKSPACE_FOLDER = ".runhistory"
DATABASE_FILE = "runhistory.db"
CONFIG_FILE = "config.json"


class Workspace:
    """A workspace folder (embedded), a database URL, or (with the team server) a server URL.

    ``Workspace()`` uses ``RUNHISTORY_WORKSPACE`` if set, else the nearest ``.runhistory`` folder
    walking up from the current directory, else ``./.runhistory`` (created on first use).
    """

    def __init__(
        self,
        location: str | os.PathLike[str] | None = None,
        *,
        artifacts: str | os.PathLike[str] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or Settings.from_env()
        self.location = _resolve_location(location, self.settings)
        self._artifacts = None if artifacts is None else str(artifacts)
        self._store: Store | None = None
        self._writer: Writer | None = None
        self._azure: dict[str, str] = {}

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """The workspace named by ``.runhistory/config.json`` (or ``config.json``), searching upward.

        The file holds ``{"location": "..."}`` (relative paths are relative to the file); a
        ``.runhistory`` folder without a config file is itself the workspace. An Azure ML
        ``config.json`` (``subscription_id``, ``resource_group``, ``workspace_name``) names a
        workspace: the one ``Workspace()`` finds from the config's folder (``RUNHISTORY_WORKSPACE``,
        else the nearest ``.runhistory`` upward, else ``.runhistory`` beside the config), never
        the config's folder itself, which holds source code."""
        start = Path(path or Path.cwd()).resolve()
        if start.is_file():
            return cls._from_config_file(start)
        for folder in (start, *start.parents):
            for candidate in (folder / WORKSPACE_FOLDER / CONFIG_FILE, folder / CONFIG_FILE):
                if candidate.is_file():
                    return cls._from_config_file(candidate)
            if (folder / WORKSPACE_FOLDER).is_dir():
                return cls(folder / WORKSPACE_FOLDER)
        raise WorkspaceNotFoundError(
            f"no {WORKSPACE_FOLDER}/{CONFIG_FILE} or {CONFIG_FILE} in {start} or its parents; "
            "run 'runhistory init' there or pass Workspace(location)"
        )

    @classmethod
    def _from_config_file(cls, config_path: Path) -> Workspace:
        config = read_config(config_path)
        location = config.get("location")
        folder = config_path.parent
        if location is None and (
            folder.name == WORKSPACE_FOLDER or (folder / DATABASE_FILE).is_file()
        ):
            return cls(config_path.parent)
        if location is None:
            settings = Settings.from_env()
            workspace = cls(settings.workspace or _find_workspace_folder(config_path.parent))
            workspace._azure = {
                key: str(config[key])
                for key in ("subscription_id", "resource_group", "workspace_name")
                if config.get(key) is not None
            }
            return workspace
        if "://" not in location:
            location = str((config_path.parent / location).resolve())
        return cls(location, artifacts=config.get("artifacts"))

    @property
    def name(self) -> str:
        """The ``workspace_name`` of the Azure config it was read from, else the folder holding
        the workspace folder (embedded) or the URL."""
        if "workspace_name" in self._azure:
            return self._azure["workspace_name"]
        return Path(self.location).parent.name if self.is_embedded else self.location

    @property
    def subscription_id(self) -> str:
        """Azure compatibility: the config's ``subscription_id``, else ``"local"``."""
        return self._azure.get("subscription_id", "local")

    @property
    def resource_group(self) -> str:
        """Azure compatibility: the config's ``resource_group``, else ``"local"``."""
        return self._azure.get("resource_group", "local")

    def get_details(self) -> dict[str, Any]:
        """The workspace as a dict, with the keys of the Azure SDK's ``Workspace.get_details()``
        given local values (``location`` is the workspace folder or URL, not an Azure region).

        >>> import tempfile
        >>> sorted(Workspace(tempfile.mkdtemp()).get_details())[:3]
        ['friendlyName', 'id', 'location']
        """
        return {
            "id": self.location,
            "name": self.name,
            "friendlyName": self.name,
            "location": self.location,
            "subscriptionId": self.subscription_id,
            "resourceGroup": self.resource_group,
            "workspaceid": self.location,
            "embedded": self.is_embedded,
        }

    @property
    def is_embedded(self) -> bool:
        return "://" not in self.location

    @property
    def store(self) -> Store:
        """The store, opened (and created or migrated) on first use."""
        if self._store is None:
            self._store = _open_store(self.location, self._artifacts, self.settings)
        return self._store

    @property
    def writer(self) -> Writer:
        if self._writer is None:
            from runhistory.writer import Writer

            self._writer = Writer(
                self.store, self.settings.flush_interval, self.settings.heartbeat_interval
            )
        return self._writer

    @property
    def experiments(self) -> dict[str, Experiment]:
        from runhistory.sdk.experiment import Experiment

        return {e.name: e for e in Experiment.list(self)}

    def config(self) -> dict[str, Any]:
        """The workspace's config.json (compute targets and other settings), or {}."""
        if not self.is_embedded:
            return {}
        path = Path(self.location) / CONFIG_FILE
        return read_config(path) if path.is_file() else {}

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        return f"Workspace({self.location!r})"


def read_config(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise InvalidValueError(f"cannot read workspace config {path}: {error}") from None
    if not isinstance(config, dict):
        raise InvalidValueError(f"workspace config {path} must hold a JSON object")
    return config


def _resolve_location(location: str | os.PathLike[str] | None, settings: Settings) -> str:
    if location is None:
        location = settings.workspace or _find_workspace_folder(Path.cwd())
    text = os.fspath(location)
    if text.startswith("file://"):
        text = text[len("file://") :]
    if "://" in text:
        return text
    return str(Path(text).expanduser().resolve())


def _find_workspace_folder(start: Path) -> str:
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_FOLDER).is_dir():
            return str(folder / WORKSPACE_FOLDER)
    return str(start / WORKSPACE_FOLDER)


def _open_store(location: str, artifacts: str | None, settings: Settings) -> Store:
    from runhistory.store.sql.liveness import RunWatch
    from runhistory.store.sql.store import SqlStore

    if location.startswith(("http://", "https://")):
        from runhistory.store.batches import default_spool_folder
        from runhistory.store.rest import RestStore

        return RestStore(location, token=settings.token, spool=default_spool_folder(location))
    watch = RunWatch(settings.not_responding_seconds, settings.lost_run_seconds)
    if "://" in location:
        artifact_location = artifacts or settings.artifacts
        if artifact_location is None:
            raise InvalidValueError(
                f"workspace {location!r} is a database; also say where its files go with "
                "Workspace(location, artifacts=FOLDER) or RUNHISTORY_ARTIFACTS"
            )
        return SqlStore.open(location, artifact_location, settings.busy_timeout, watch)
    folder = Path(location)
    folder.mkdir(parents=True, exist_ok=True)
    return SqlStore.open(
        f"sqlite:///{folder / DATABASE_FILE}",
        artifacts or folder / "artifacts",
        settings.busy_timeout,
        watch,
    )
