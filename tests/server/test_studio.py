"""``GET /studio/experiments``: the experiments list of the studio in one request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from runhistory.model import RunStatus
from runhistory.store.sql.store import SqlStore


def test_experiments_come_with_status_counts_and_last_activity(
    client: TestClient, store: SqlStore
) -> None:
    busy = store.get_or_create_experiment("busy")
    idle = store.get_or_create_experiment("idle")
    old = store.get_or_create_experiment("old")
    store.update_experiment(old.id, archived=True)
    for status in (RunStatus.COMPLETED, RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.RUNNING):
        store.create_run(busy.id, status=status, run_type="test")
    last = store.create_run(busy.id, status=RunStatus.RUNNING, run_type="test")
    store.set_status(last.id, RunStatus.COMPLETED, ended=last.created + 5)
    listed = {e["name"]: e for e in client.get("/api/v1/studio/experiments").json()}
    assert set(listed) == {"busy", "idle"}
    assert listed["busy"]["status_counts"] == {"Completed": 3, "Failed": 1, "Running": 1}
    assert listed["busy"]["run_count"] == 5
    assert listed["busy"]["last_activity"] >= last.created + 5
    assert (listed["idle"]["status_counts"], listed["idle"]["last_activity"]) == ({}, idle.created)
    archived = client.get("/api/v1/studio/experiments", params={"view_type": "archived"}).json()
    assert [e["name"] for e in archived] == ["old"]
