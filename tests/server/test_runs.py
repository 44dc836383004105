"""Run queries and queue claims through ``RestStore`` answer as the SQL store does."""

from __future__ import annotations

import pytest

from runhistory.model import RunStatus
from runhistory.store.base import RunQuery
from runhistory.store.rest import RestStore
from runhistory.store.sql.store import SqlStore


@pytest.fixture
def three_runs(store: SqlStore) -> tuple[str, list[str]]:
    experiment = store.get_or_create_experiment("queries")
    ids = [
        store.create_run(
            experiment.id,
            status=status,
            run_type="sweep",
            target="local",
            tags={"lr": lr, "flag": None},
            properties={"seed": str(i)},
        ).id
        for i, (status, lr) in enumerate(
            [(RunStatus.QUEUED, "0.1"), (RunStatus.QUEUED, "0.2"), (RunStatus.COMPLETED, "0.1")]
        )
    ]
    return experiment.id, ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (RunQuery(tags={"lr": "0.1"}), [2, 0]),
        (RunQuery(tags=["lr"]), [2, 1, 0]),
        (RunQuery(tags="flag"), [2, 1, 0]),
        (RunQuery(properties={"seed": "1"}), [1]),
        (RunQuery(statuses=[RunStatus.COMPLETED]), [2]),
        (RunQuery(statuses=[RunStatus.QUEUED], limit=1), [1]),
        (RunQuery(run_type="other"), []),
    ],
)
def test_queries_answer_as_the_sql_store(
    rest: RestStore,
    store: SqlStore,
    three_runs: tuple[str, list[str]],
    query: RunQuery,
    expected: list[int],
) -> None:
    experiment_id, ids = three_runs
    scoped = RunQuery(**{**query.__dict__, "experiment_id": experiment_id})
    remote = [r.id for r in rest.list_runs(scoped)]
    assert remote == [r.id for r in store.list_runs(scoped)]
    assert remote == [ids[i] for i in expected]


def test_claims_tags_and_archiving(
    rest: RestStore, store: SqlStore, three_runs: tuple[str, list[str]]
) -> None:
    experiment_id, ids = three_runs
    claimed = rest.claim_runs("local", 1)
    assert [r.id for r in claimed] == [ids[0]] and claimed[0].status == RunStatus.PREPARING
    assert rest.claim_runs("local", 1) == []  # one active run already holds the target
    assert rest.find_runs(ids[1][:-2], limit=5) == store.find_runs(ids[1][:-2], limit=5)
    rest.remove_tags(ids[1], ["lr"])
    assert store.get_run(ids[1]).tags == {"flag": None}
    rest.update_experiment(experiment_id, archived=True, tags={"team": "a"})
    archived = rest.list_experiments("archived")
    assert [(e.name, e.tags) for e in archived] == [("queries", {"team": "a"})]
    assert rest.list_experiments() == []
