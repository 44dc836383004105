"""The run queue in the store: claims are atomic and never exceed a target's limit, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runhistory import Experiment, Workspace
from runhistory.model import RunStatus

from ..conftest import make_workspace


@pytest.fixture(params=["sqlite", "postgresql"])
def database_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(request.param, tmp_path, request)
    yield workspace
    workspace.close()


def queue(workspace: Workspace, count: int, target: str = "t") -> list[str]:
    experiment = Experiment(workspace, "queue")
    store = workspace.store
    return [
        store.create_run(
            experiment.id, status=RunStatus.QUEUED, run_type="scriptrun", target=target
        ).id
        for _ in range(count)
    ]


def test_claims_take_the_oldest_runs_up_to_the_limit(database_workspace: Workspace) -> None:
    store = database_workspace.store
    ids = queue(database_workspace, 5)
    queue(database_workspace, 2, target="other")
    first = store.claim_runs("t", 2)
    assert [r.id for r in first] == ids[:2]
    assert all(r.status is RunStatus.PREPARING for r in first)
    assert store.claim_runs("t", 2) == []
    store.set_status(ids[0], RunStatus.COMPLETED, ended=1.0)
    assert [r.id for r in store.claim_runs("t", 2)] == [ids[2]]


def test_concurrent_claimers_never_exceed_the_limit(database_workspace: Workspace) -> None:
    store = database_workspace.store
    queue(database_workspace, 20)
    claimed: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        for _ in range(10):
            found = store.claim_runs("t", 3)
            with lock:
                claimed.extend(r.id for r in found)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 3 == len(set(claimed))
