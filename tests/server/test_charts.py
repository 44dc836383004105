"""The chart endpoint reduces a metric to min/max buckets over a step range."""

from __future__ import annotations

import math

from fastapi.testclient import TestClient

from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import MetricAppend, WriteBatch
from runhistory.store.sql.store import SqlStore


def run_with(store: SqlStore, name: str, values: list[object], kind: MetricKind) -> str:
    experiment = store.get_or_create_experiment("charts")
    run_id = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id
    store.append(WriteBatch([MetricAppend(run_id, name, kind, "", values, [1.0] * len(values))]))
    return run_id


def test_a_long_series_comes_back_as_min_max_buckets(client: TestClient, store: SqlStore) -> None:
    values = [math.sin(i / 100) for i in range(10_000)]
    values[4321] = 50.0  # a spike survives downsampling
    run_id = run_with(store, "loss/train", values, MetricKind.SCALAR)
    chart = client.get(
        f"/api/v1/runs/{run_id}/chart", params={"name": "loss/train", "buckets": 100}
    ).json()
    assert chart["count"] == 10_000
    assert len(chart["minimum"]) == len(chart["maximum"]) == 100
    assert chart["first_steps"][:2] == [0, 100] and chart["last_steps"][-1] == 9_999
    assert max(chart["maximum"]) == 50.0
    assert min(chart["minimum"]) == min(values)
    part = client.get(
        f"/api/v1/runs/{run_id}/chart",
        params={"name": "loss/train", "buckets": 10, "first_step": 4300, "last_step": 4399},
    ).json()
    assert (part["count"], part["first_steps"][0], part["last_steps"][-1]) == (100, 4300, 4399)
    assert part["maximum"][2] == 50.0


def test_short_series_and_nan_buckets(client: TestClient, store: SqlStore) -> None:
    run_id = run_with(store, "x", [1.0, math.nan, 3.0], MetricKind.SCALAR)
    chart = client.get(f"/api/v1/runs/{run_id}/chart", params={"name": "x"}).json()
    assert chart["minimum"] == [1.0, None, 3.0]


def test_what_cannot_be_charted_is_refused(client: TestClient, store: SqlStore) -> None:
    run_id = run_with(store, "words", ["a", "b"], MetricKind.SCALAR)
    refused = client.get(f"/api/v1/runs/{run_id}/chart", params={"name": "words"})
    assert (refused.status_code, refused.json()["error_code"]) == (400, "invalid_value")
    missing = client.get(f"/api/v1/runs/{run_id}/chart", params={"name": "nope"})
    assert missing.status_code == 404
    too_many = client.get(f"/api/v1/runs/{run_id}/chart", params={"name": "x", "buckets": 0})
    assert too_many.status_code == 422


def test_one_metric_of_many_runs(client: TestClient, store: SqlStore) -> None:
    first = run_with(store, "loss", [3.0, 2.0, 1.0], MetricKind.SCALAR)
    second = run_with(store, "loss", [5.0, 4.0], MetricKind.SCALAR)
    other = run_with(store, "acc", [0.5], MetricKind.SCALAR)
    charts = client.get(
        "/api/v1/charts",
        params={"name": "loss", "run_id": [first, second, other], "buckets": 1},
    ).json()
    assert [(c["run_id"], c["count"], c["minimum"], c["maximum"]) for c in charts] == [
        (first, 3, [1.0], [3.0]),
        (second, 2, [4.0], [5.0]),
    ]  # the run without the metric is left out
    unknown = client.get("/api/v1/charts", params={"name": "loss", "run_id": [first, "nope"]})
    assert unknown.status_code == 404
    assert client.get("/api/v1/charts", params={"name": "loss"}).status_code == 422


def test_smoothing_and_last_values(client: TestClient, store: SqlStore) -> None:
    run_id = run_with(store, "loss", [4.0, 0.0, 8.0, 2.0], MetricKind.SCALAR)
    url = f"/api/v1/runs/{run_id}/chart"
    raw = client.get(url, params={"name": "loss", "buckets": 2}).json()
    assert (raw["minimum"], raw["maximum"], raw["last"]) == ([0.0, 2.0], [4.0, 8.0], [0.0, 2.0])
    assert raw["last_times"] == [1.0, 1.0]
    smooth = client.get(url, params={"name": "loss", "buckets": 4, "smoothing": 0.5}).json()
    # debiased: 4, (0.5*2 + 0)/0.75, ...
    assert smooth["last"][:2] == [4.0, 4 / 3]
    many = client.get(
        "/api/v1/charts", params={"name": "loss", "run_id": [run_id], "smoothing": 0.5}
    ).json()
    assert many[0]["last"] == smooth["last"]
    refused = client.get(url, params={"name": "loss", "smoothing": 1})
    assert refused.status_code == 422


def test_infinities_go_out_as_null_so_browsers_can_parse_charts(
    client: TestClient, store: SqlStore
) -> None:
    run_id = run_with(store, "x", [1.0, math.inf, -math.inf, 2.0], MetricKind.SCALAR)
    response = client.get(f"/api/v1/runs/{run_id}/chart", params={"name": "x"})
    assert b"Infinity" not in response.content  # JSON.parse refuses it
    assert response.json()["maximum"] == [1.0, None, None, 2.0]
