"""Write batches: columnar, refused whole when malformed or naming unknown runs, stored once."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from runhistory.errors import StoreError
from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import LogAppend, MetricAppend, WriteBatch
from runhistory.store.rest import RestStore
from runhistory.store.sql.store import SqlStore


def make_run(store: SqlStore) -> str:
    experiment = store.get_or_create_experiment("batches")
    return store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id


def batch_body(run_id: str, seq: int = 1, count: int = 3, **changes: Any) -> dict[str, Any]:
    metric = {
        "run_id": run_id,
        "name": "loss",
        "kind": "scalar",
        "values": [float(i) for i in range(count)],
        "timestamps": [1.0] * count,
        "steps": None,
    }
    metric.update(changes)
    return {"client_id": "client-1", "seq": seq, "metrics": [metric]}


def point_count(store: SqlStore, run_id: str) -> int:
    return sum(len(m.steps) for m in store.read_metrics(run_id))


def test_one_request_stores_columns_of_points(client: TestClient, store: SqlStore) -> None:
    run_id = make_run(store)
    response = client.post("/api/v1/batches", json=batch_body(run_id, count=1000))
    assert response.json() == {"problems": [], "duplicate": False}
    assert point_count(store, run_id) == 1000


def test_a_batch_sent_again_is_stored_once(client: TestClient, store: SqlStore) -> None:
    run_id = make_run(store)
    first = client.post("/api/v1/batches", json=batch_body(run_id, seq=7))
    again = client.post("/api/v1/batches", json=batch_body(run_id, seq=7))
    following = client.post("/api/v1/batches", json=batch_body(run_id, seq=8))
    assert [r.json()["duplicate"] for r in (first, again, following)] == [False, True, False]
    assert point_count(store, run_id) == 6


@pytest.mark.parametrize(
    "changes",
    [
        {"timestamps": [1.0]},  # columns of different lengths
        {"steps": [0, 1]},
        {"kind": "sideways"},
        {"name": "tab\there"},
        {"name": ""},
        {"values": "not a list"},
        {"kind": "row"},  # rows are objects of columns
        {"kind": "table", "values": [{"tab\tcolumn": 1}] * 3},
        {"steps": [2**63, 0, 1]},
        {"timestamps": [float("inf")] * 3},
    ],
)
def test_a_malformed_batch_is_refused_and_nothing_is_written(
    client: TestClient, store: SqlStore, changes: dict[str, Any]
) -> None:
    run_id = make_run(store)
    body = json.dumps(batch_body(run_id, **changes))  # infinities as JSON readers accept them
    response = client.post(
        "/api/v1/batches", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error_code"] == "invalid_value"
    assert point_count(store, run_id) == 0


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"client_id": "a/b", "seq": 1}'])
def test_bodies_that_are_not_batches_are_refused(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/batches", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_a_batch_naming_an_unknown_run_stores_nothing(client: TestClient, store: SqlStore) -> None:
    run_id = make_run(store)
    body = batch_body(run_id)
    body["metrics"].append({**body["metrics"][0], "run_id": "no-such-run"})
    response = client.post("/api/v1/batches", json=body)
    assert response.status_code == 404
    assert response.json()["error_code"] == "run_not_found"
    assert point_count(store, run_id) == 0
    # Not recorded as applied either: the same number with known runs is stored.
    assert client.post("/api/v1/batches", json=batch_body(run_id)).json()["duplicate"] is False


def test_the_rest_store_sends_one_request_per_batch(rest: RestStore, store: SqlStore) -> None:
    run_id = make_run(store)
    sent: list[str] = []
    transport_send = rest.client.send

    def counting(request: httpx.Request, **options: Any) -> httpx.Response:
        sent.append(request.url.path)
        return transport_send(request, **options)

    rest.client.send = counting  # type: ignore[method-assign]
    batch = WriteBatch(
        metrics=[
            MetricAppend(run_id, f"m{i}", MetricKind.SCALAR, "", list(range(500)), [1.0] * 500)
            for i in range(10)
        ],
        logs=[LogAppend(run_id, "logs/std_log.txt", 1.0, "hello\n")],
        heartbeats=[run_id],
    )
    assert rest.append(batch) == []
    assert sent == ["/api/v1/batches"]
    assert point_count(store, run_id) == 5000
    assert store.read_log(run_id, "logs/std_log.txt")[0] == "hello\n"


def test_a_batch_whose_answer_was_lost_is_stored_once(rest: RestStore, store: SqlStore) -> None:
    run_id = make_run(store)
    transport_send = rest.client.send
    lost = {"answers": 1}

    def losing(request: httpx.Request, **options: Any) -> httpx.Response:
        response = transport_send(request, **options)
        if lost["answers"]:
            lost["answers"] -= 1
            raise httpx.ReadError("connection reset", request=request)
        return response

    rest.client.send = losing  # type: ignore[method-assign]
    batch = WriteBatch([MetricAppend(run_id, "loss", MetricKind.SCALAR, "", [1, 2, 3], [1.0] * 3)])
    assert rest.append(batch) == []
    assert point_count(store, run_id) == 3


def test_points_added_to_an_unanswered_batch_are_sent_after_it(
    rest: RestStore, store: SqlStore
) -> None:
    """The writer keeps a batch that raised and adds new points to the same object."""
    run_id = make_run(store)
    transport_send = rest.client.send
    state = {"down": True}

    def unreachable_after_storing(request: httpx.Request, **options: Any) -> httpx.Response:
        response = transport_send(request, **options)
        if state["down"]:
            raise httpx.ConnectError("unreachable", request=request)
        return response

    rest.client.send = unreachable_after_storing  # type: ignore[method-assign]
    batch = WriteBatch([MetricAppend(run_id, "loss", MetricKind.SCALAR, "", [1, 2], [1.0] * 2)])
    with pytest.raises(StoreError, match="did not answer"):
        rest.append(batch)
    state["down"] = False
    batch.metrics.append(MetricAppend(run_id, "loss", MetricKind.SCALAR, "", [3], [2.0]))
    assert rest.append(batch) == []
    loss = store.read_metrics(run_id, ["loss"])[0]
    assert list(loss.values) == [1, 2, 3]


def test_a_refused_batch_comes_back_as_problems(rest: RestStore) -> None:
    batch = WriteBatch([MetricAppend("no-such-run", "x", MetricKind.SCALAR, "", [1], [1.0])])
    problems = rest.append(batch)
    assert len(problems) == 1 and "no-such-run" in problems[0]


def test_an_oversized_batch_is_refused_before_it_is_read(
    client: TestClient, store: SqlStore
) -> None:
    from runhistory.server.limits import MAX_JSON_BYTES

    run_id = make_run(store)
    response = client.post(
        "/api/v1/batches",
        content=b"{" + b" " * MAX_JSON_BYTES + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error_code"] == "invalid_value"
    unsized = client.post(
        "/api/v1/batches",
        content=iter([b'{"client_id": "c", "seq": 1}']),
        headers={"Content-Type": "application/json"},
    )
    assert unsized.status_code == 411
    assert point_count(store, run_id) == 0


def packed(numbers: list[Any], dtype: str) -> dict[str, str]:
    import base64

    import numpy as np

    raw = np.asarray(numbers, dtype=dtype).tobytes()
    return {"dtype": dtype, "base64": base64.b64encode(raw).decode()}


def test_packed_columns_are_stored_like_arrays(client: TestClient, store: SqlStore) -> None:
    run_id = make_run(store)
    body = batch_body(run_id, count=3)
    body["metrics"][0].update(
        values=packed([1.5, 2.5, 3.5], "<f8"),
        timestamps=packed([1.0, 2.0, 3.0], "<f8"),
        steps=packed([10, 20, 30], "<i8"),
    )
    assert client.post("/api/v1/batches", json=body).json()["problems"] == []
    loss = store.read_metrics(run_id, ["loss"])[0]
    assert (list(loss.values), list(loss.steps)) == ([1.5, 2.5, 3.5], [10, 20, 30])


@pytest.mark.parametrize(
    "column",
    [
        {"dtype": "<f8", "base64": "not base64!"},
        {"dtype": "<f8", "base64": "AAAA"},  # 3 bytes: not whole numbers
        {"dtype": "<f4", "base64": "AAAAAAAAAAA="},
        {"dtype": "<f8", "base64": "AAAAAAAA8H8="},  # one infinity as a timestamp
    ],
)
def test_malformed_packed_columns_are_refused(
    client: TestClient, store: SqlStore, column: dict[str, str]
) -> None:
    run_id = make_run(store)
    body = batch_body(run_id, count=1)
    body["metrics"][0]["timestamps"] = column
    assert client.post("/api/v1/batches", json=body).status_code == 422
    assert point_count(store, run_id) == 0


def test_shared_columns_are_sent_once_and_named_by_later_metrics(
    client: TestClient, store: SqlStore
) -> None:
    run_id = make_run(store)
    first = batch_body(run_id, count=3)["metrics"][0]
    first.update(timestamps=packed([1.0, 2.0, 3.0], "<f8"), steps=[5, 6, 7])
    second = {**first, "name": "acc", "values": [0.5, 0.25, 0.125]}
    second.update(timestamps={"same_as": 0}, steps={"same_as": 0})
    body = {"client_id": "c", "seq": 1, "metrics": [first, second]}
    assert client.post("/api/v1/batches", json=body).json()["problems"] == []
    acc = store.read_metrics(run_id, ["acc"])[0]
    assert (acc.steps.tolist(), acc.timestamps.tolist()) == ([5, 6, 7], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("reference", "values"),
    [({"same_as": 1}, [0.5] * 3), ({"same_as": 0}, [0.5] * 4)],
    ids=["not-earlier", "other-length"],
)
def test_bad_column_references_are_refused(
    client: TestClient, store: SqlStore, reference: dict[str, int], values: list[float]
) -> None:
    run_id = make_run(store)
    first = batch_body(run_id, count=3)["metrics"][0]
    second = {**first, "name": "acc", "values": values, "timestamps": reference}
    body = {"client_id": "c", "seq": 1, "metrics": [first, second]}
    refused = client.post("/api/v1/batches", json=body)
    assert refused.status_code == 422, refused.text
    assert point_count(store, run_id) == 0


def test_log_metrics_through_a_server_sends_shared_columns_once(
    rest: RestStore, store: SqlStore
) -> None:
    from runhistory.store.batches import batch_body as wire_body

    run_id = make_run(store)
    times, steps = [1.0 + i for i in range(100)], list(range(100))
    batch = WriteBatch(
        [
            MetricAppend(run_id, f"m{j}", MetricKind.SCALAR, "", [float(j)] * 100, times, steps)
            for j in range(20)
        ]
    )
    sent = json.loads(wire_body("c", 1, batch))
    assert [m["timestamps"] for m in sent["metrics"][1:]] == [{"same_as": 0}] * 19
    rest.append(batch)
    stored = {m.name: m for m in store.read_metrics(run_id)}
    assert all(
        m.timestamps.tolist() == times and m.steps.tolist() == steps for m in stored.values()
    )


def test_long_numeric_columns_keep_their_types(rest: RestStore, store: SqlStore) -> None:
    run_id = make_run(store)
    ints = list(range(1000))
    floats = [i / 3 for i in range(1000)]
    mixed = [1, 2.5] * 500
    rest.append(
        WriteBatch(
            [
                MetricAppend(run_id, name, MetricKind.SCALAR, "", values, [1.0] * 1000)
                for name, values in (("ints", ints), ("floats", floats), ("mixed", mixed))
            ]
        )
    )
    stored = {m.name: m.values for m in store.read_metrics(run_id)}
    assert list(stored["ints"]) == ints and stored["ints"].dtype.kind == "i"  # type: ignore[union-attr]
    assert list(stored["floats"]) == floats and stored["floats"].dtype.kind == "f"  # type: ignore[union-attr]
    assert list(stored["mixed"]) == mixed
