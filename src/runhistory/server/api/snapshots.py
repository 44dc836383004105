"""Source snapshot manifests (their file contents are snapshot blobs, see ``artifacts.py``)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter

from runhistory.errors import InvalidValueError
from runhistory.server.dependencies import StoreDependency
from runhistory.server.schemas import SnapshotCreate

router = APIRouter(prefix="/snapshots", tags=["snapshots"])

_SNAPSHOT_ID = re.compile(r"^[0-9A-Za-z_\-]{1,64}$")


@router.put("/{snapshot_id}", status_code=204)
def save_snapshot(snapshot_id: str, body: SnapshotCreate, store: StoreDependency) -> None:
    store.save_snapshot(_checked(snapshot_id), body.manifest, body.file_count, body.size)


@router.get("/{snapshot_id}", response_model=dict[str, Any])
def get_snapshot(snapshot_id: str, store: StoreDependency) -> dict[str, Any]:
    return store.get_snapshot(_checked(snapshot_id))


def _checked(snapshot_id: str) -> str:
    if not _SNAPSHOT_ID.match(snapshot_id):
        raise InvalidValueError(f"snapshot id {snapshot_id!r} is not one runhistory makes")
    return snapshot_id
