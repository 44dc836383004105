"""Every setting of runhistory, typed and documented, in one place.

Each setting has a default and a ``RUNHISTORY_*`` environment variable. ``Settings.from_env()``
reads them once; objects that need settings take a ``Settings`` argument instead of reading the
environment themselves.

>>> Settings.from_env({"RUNHISTORY_FLUSH_INTERVAL": "0.5"}).flush_interval
0.5
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from runhistory.errors import InvalidValueError


def _setting(default: Any, env: str, help: str) -> Any:
    return dataclasses.field(default=default, metadata={"env": env, "help": help})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Process-wide settings; see ``docs/settings.md`` for the table users read."""

    workspace: str | None = _setting(
        None,
        "RUNHISTORY_WORKSPACE",
        "Workspace location used when none is given: a folder, a database URL or a server URL.",
    )
    artifacts: str | None = _setting(
        None,
        "RUNHISTORY_ARTIFACTS",
        "Where files go for a workspace given as a database URL: a folder, "
        "az://container/prefix or s3://bucket/prefix; embedded workspaces keep them in their "
        "own 'artifacts' folder.",
    )
    offline: str = _setting(
        "print",
        "RUNHISTORY_OFFLINE",
        "What Run.get_context() does outside a submitted run: 'print' what would be logged, "
        "or 'record' it into the default workspace under experiment 'offline'.",
    )
    run_id: str | None = _setting(
        None,
        "RUNHISTORY_RUN_ID",
        "Set by the launcher: the id of the submitted run this process is.",
    )
    experiment: str | None = _setting(
        None, "RUNHISTORY_EXPERIMENT", "Set by the launcher: the experiment of the submitted run."
    )
    flush_interval: float = _setting(
        1.0,
        "RUNHISTORY_FLUSH_INTERVAL",
        "Seconds between background flushes of logged metrics; a crash loses at most this much.",
    )
    heartbeat_interval: float = _setting(
        10.0, "RUNHISTORY_HEARTBEAT_INTERVAL", "Seconds between heartbeats of an active run."
    )
    not_responding_seconds: float = _setting(
        60.0,
        "RUNHISTORY_NOT_RESPONDING_SECONDS",
        "Seconds without a heartbeat after which a Running run reads as NotResponding (it "
        "returns to Running when heartbeats resume); keep it several heartbeat intervals long.",
    )
    lost_run_seconds: float = _setting(
        600.0,
        "RUNHISTORY_LOST_RUN_SECONDS",
        "Seconds without a heartbeat after which a Running or NotResponding run is marked "
        "Failed (error type LostHeartbeat), its end set to its last heartbeat.",
    )
    max_request_bytes: int = _setting(
        64 * 1024 * 1024,
        "RUNHISTORY_MAX_REQUEST_BYTES",
        "Largest request body a server reads, file uploads aside; clients split write batches "
        "to fit it.",
    )
    busy_timeout: float = _setting(
        60.0,
        "RUNHISTORY_BUSY_TIMEOUT",
        "Seconds a write to an embedded (SQLite) workspace waits for another writer.",
    )
    snapshot_max_bytes: int = _setting(
        300 * 1024 * 1024, "RUNHISTORY_SNAPSHOT_MAX_BYTES", "Largest source snapshot, in bytes."
    )
    snapshot_max_files: int = _setting(
        2000, "RUNHISTORY_SNAPSHOT_MAX_FILES", "Most files in a source snapshot."
    )
    cancel_grace_seconds: float = _setting(
        10.0,
        "RUNHISTORY_CANCEL_GRACE_SECONDS",
        "Seconds a canceled or timed-out submitted run gets after SIGTERM before SIGKILL.",
    )
    agent_idle_seconds: float = _setting(
        60.0,
        "RUNHISTORY_AGENT_IDLE_SECONDS",
        "Seconds a compute agent with no queued or active runs waits before it exits.",
    )
    agent_poll_seconds: float = _setting(
        0.1,
        "RUNHISTORY_AGENT_POLL_SECONDS",
        "Seconds between a compute agent's looks at its queue.",
    )
    error_file: str | None = _setting(
        None,
        "RUNHISTORY_ERROR_FILE",
        "Set by the launcher: where a submitted script's uncaught exception is written.",
    )
    studio_url: str | None = _setting(
        None,
        "RUNHISTORY_STUDIO_URL",
        "Base address of the studio, used for portal links (default: http://127.0.0.1:5000).",
    )
    token: str | None = _setting(
        None,
        "RUNHISTORY_TOKEN",
        "Bearer token sent to a runhistory server when the workspace is an http(s):// address.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), defaults for what is unset."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(field.metadata["env"])
            if raw is None or raw == "":
                continue
            values[field.name] = _parse(field, raw)
        return cls(**values)


def _parse(field: dataclasses.Field[Any], raw: str) -> Any:
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
    try:
        if kind.startswith("float"):
            return float(raw)
        if kind.startswith("int"):
            return int(raw)
    except ValueError:
        raise InvalidValueError(
            f"{field.metadata['env']}={raw!r} is not a number; set it to a "
            f"{kind.split(' ')[0]} such as {field.default!r}"
        ) from None
    return raw


def documented_settings() -> list[tuple[str, str, Any, str]]:
    """(environment variable, type, default, help) of every setting, for docs and tests."""
    return [
        (f.metadata["env"], str(f.type), f.default, f.metadata["help"])
        for f in dataclasses.fields(Settings)
    ]
