"""Source snapshot manifests (their file contents are snapshot blobs, see ``artifacts.py``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from runhistory.server.dependencies import StoreDependency
from runhistory.server.responses import JSON_BODY, error_responses
from runhistory.server.schemas import SnapshotCreate

router = APIRouter(prefix="/snapshots", tags=["snapshots"], responses=error_responses(422))

# The ids runhistory makes (sha256 hex of the manifest); others are refused before the store.
SnapshotId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_\-]{1,64}$")]


@router.put("/{snapshot_id}", status_code=204, responses=error_responses(*JSON_BODY))
def save_snapshot(snapshot_id: SnapshotId, body: SnapshotCreate, store: StoreDependency) -> None:
    store.save_snapshot(snapshot_id, body.manifest, body.file_count, body.size)


@router.get("/{snapshot_id}", response_model=dict[str, Any], responses=error_responses(404))
def get_snapshot(snapshot_id: SnapshotId, store: StoreDependency) -> dict[str, Any]:
    return store.get_snapshot(snapshot_id)
