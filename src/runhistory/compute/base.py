"""The compute target interface, and the targets a workspace names in its config.

A workspace's ``config.json`` may name targets::

    {"compute_targets": {"local": {"type": "local", "max_concurrent_runs": 2}}}

``local`` always exists (default limit: the number of CPUs).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Protocol

from runhistory.errors import InvalidValueError

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace

LOCAL = "local"


class ComputeTarget(Protocol):
    """Where runs execute. ``ensure_agent`` makes sure something will claim the target's queue."""

    name: str
    max_concurrent_runs: int

    def ensure_agent(self, workspace: Workspace) -> None: ...


def compute_targets(workspace: Workspace) -> dict[str, ComputeTarget]:
    from runhistory.compute.local import LocalTarget

    targets: dict[str, ComputeTarget] = {LOCAL: LocalTarget(LOCAL, os.cpu_count() or 1)}
    for name, options in workspace.config().get("compute_targets", {}).items():
        kind = options.get("type", "local")
        if kind != "local":
            raise InvalidValueError(
                f"compute target {name!r} has type {kind!r}; this version runs 'local' targets"
            )
        targets[name] = LocalTarget(
            name, _limit(name, options.get("max_concurrent_runs", os.cpu_count() or 1))
        )
    return targets


def get_compute_target(workspace: Workspace, name: str | None) -> ComputeTarget:
    targets = compute_targets(workspace)
    target = targets.get(name or LOCAL)
    if target is None:
        raise InvalidValueError(
            f"no compute target {name!r} in workspace {workspace.location}; known targets: "
            f"{sorted(targets)} (add one with runhistory.compute.set_compute_target)"
        )
    return target


def set_compute_target(workspace: Workspace, name: str, max_concurrent_runs: int) -> None:
    """Name a local compute target in the workspace config (or change its limit)."""
    if not workspace.is_embedded:
        raise InvalidValueError("compute targets are named in an embedded workspace's config.json")
    from pathlib import Path

    from runhistory.sdk.workspace import CONFIG_FILE

    config = workspace.config()
    config.setdefault("compute_targets", {})[name] = {
        "type": "local",
        "max_concurrent_runs": _limit(name, max_concurrent_runs),
    }
    path = Path(workspace.location) / CONFIG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(config, indent=2) + "\n")
    temporary.replace(path)


def _limit(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidValueError(
            f"max_concurrent_runs of compute target {name!r} must be an int >= 1, not {value!r}"
        )
    return value
