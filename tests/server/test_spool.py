"""Batches a server does not answer wait in an on-disk spool and are sent, in order, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import MetricAppend, WriteBatch
from runhistory.store.rest import RestStore
from runhistory.store.sql.store import SqlStore


class Switchable(httpx.BaseTransport):
    """The app's transport, or a connection error while ``down``."""

    def __init__(self, app: FastAPI) -> None:
        self.inner = TestClient(app)._transport
        self.down = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return self.inner.handle_request(request)


def points(run_id: str, values: list[Any]) -> WriteBatch:
    return WriteBatch(
        [MetricAppend(run_id, "x", MetricKind.SCALAR, "", values, [1.0] * len(values))]
    )


def make_run(store: SqlStore) -> str:
    experiment = store.get_or_create_experiment("spool")
    return store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id


def stored(store: SqlStore, run_id: str) -> list[Any]:
    found = store.read_metrics(run_id, ["x"])
    return list(found[0].values) if found else []


def test_batches_wait_while_the_server_is_down_and_arrive_in_order(
    app: FastAPI, store: SqlStore, tmp_path: Path
) -> None:
    run_id = make_run(store)
    transport = Switchable(app)
    remote = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    assert remote.append(points(run_id, [0, 1])) == []
    transport.down = True
    assert remote.append(points(run_id, [2, 3])) == []  # accepted into the spool, no error
    assert remote.append(points(run_id, [4])) == []
    assert len(remote.spool.pending()) == 2  # type: ignore[union-attr]
    assert stored(store, run_id) == [0, 1]
    transport.down = False
    assert remote.append(points(run_id, [5])) == []
    assert stored(store, run_id) == [0, 1, 2, 3, 4, 5]
    assert remote.spool.pending() == []  # type: ignore[union-attr]


def test_the_next_client_sends_what_an_exited_one_left_in_the_spool(
    app: FastAPI, store: SqlStore, tmp_path: Path
) -> None:
    run_id = make_run(store)
    transport = Switchable(app)
    transport.down = True
    exited = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    exited.append(points(run_id, [0, 1, 2]))
    exited.close()  # cannot deliver: the files stay
    assert stored(store, run_id) == []
    transport.down = False
    following = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    following.close()  # closing sends what waits
    assert stored(store, run_id) == [0, 1, 2]
    # A copy of a spooled file sent again (a second client racing) is stored once.
    again = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    again.spool.add("client", 1, exited_body(run_id))  # type: ignore[union-attr]
    again.spool.add("client", 1, exited_body(run_id))  # type: ignore[union-attr]
    again.close()
    again = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    again.spool.add("client", 1, exited_body(run_id))  # type: ignore[union-attr]
    again.close()
    assert stored(store, run_id) == [0, 1, 2, 9]


def exited_body(run_id: str) -> bytes:
    import json

    return json.dumps(
        {
            "client_id": "client",
            "seq": 1,
            "metrics": [
                {
                    "run_id": run_id,
                    "name": "x",
                    "kind": "scalar",
                    "values": [9],
                    "timestamps": [1.0],
                }
            ],
        }
    ).encode()


def test_a_request_after_an_outage_finds_the_spooled_points_stored(
    app: FastAPI, store: SqlStore, tmp_path: Path
) -> None:
    """Completing a run (a status change) or reading it comes after the points logged before."""
    run_id = make_run(store)
    transport = Switchable(app)
    remote = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    transport.down = True
    remote.append(points(run_id, [0, 1, 2]))
    transport.down = False
    remote.set_status(run_id, RunStatus.COMPLETED)  # no further append: the request sends them
    assert stored(store, run_id) == [0, 1, 2]
    assert [d.name for d in remote.read_metrics(run_id)] == ["x"]
