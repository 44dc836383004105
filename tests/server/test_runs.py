"""Run queries and queue claims through ``RestStore`` answer as the SQL store does."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import MetricAppend, RunQuery, WriteBatch
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


def test_table_listings_carry_summaries_as_stored_with_shared_first_lines(
    rest: RestStore, store: SqlStore, client: TestClient
) -> None:
    experiment = store.get_or_create_experiment("summaries")
    layouts = [{"loss": 0.5, "acc": 1}, {"loss": 0.25, "acc": 2}, {"f1": "n/a"}, {}]
    for metrics in layouts:
        run_id = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="t").id
        store.append(
            WriteBatch(
                [
                    MetricAppend(run_id, n, MetricKind.SCALAR, "", [v], [1.0])
                    for n, v in metrics.items()
                ]
            )
        )
    body = {"experiment_id": experiment.id, "format": "table"}
    table = client.post("/api/v1/runs/search", json=body).json()
    summaries = [row[table["fields"].index("metrics_summary")] for row in table["rows"]]
    first_lines = [text.partition("\n")[0] for text in summaries]
    assert first_lines[0] == "{}" and first_lines[3] == "^"  # newest: none, f1, acc+loss x2
    assert first_lines[1].startswith("{") and first_lines[2].startswith("{")
    remote = {r.id: dict(r.metrics.last_values()) for r in rest.list_runs(RunQuery(experiment.id))}  # type: ignore[attr-defined]
    local = {r.id: dict(r.metrics.last_values()) for r in store.list_runs(RunQuery(experiment.id))}  # type: ignore[attr-defined]
    assert remote == local and sorted(map(len, remote.values())) == [0, 1, 2, 2]
