"""Restoring a run's source snapshot into a folder: a plan to show first, then the restore."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from runhistory.errors import ArtifactNotFoundError

if TYPE_CHECKING:
    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace


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
