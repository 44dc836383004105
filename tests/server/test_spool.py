"""Batches a server does not answer wait in an on-disk spool and are sent, in order, once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from runhistory.model import MetricKind, RunStatus
from runhistory.sdk.workspace import Workspace
from runhistory.store.base import MetricAppend, WriteBatch
from runhistory.store.rest import RestStore
from runhistory.store.sql.store import SqlStore
from tests.conftest import ServerProcess, isolated_settings


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


def test_a_run_ended_while_the_server_is_down_ends_after_its_points(
    app: FastAPI, store: SqlStore, tmp_path: Path
) -> None:
    run_id = make_run(store)
    transport = Switchable(app)
    remote = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    transport.down = True
    remote.append(points(run_id, [0, 1]))
    assert remote.set_status(run_id, RunStatus.COMPLETED, ended=5.0, only_from=[RunStatus.RUNNING])
    remote.close()
    assert store.get_run(run_id).status is RunStatus.RUNNING
    transport.down = False
    following = RestStore("http://testserver", transport=transport, spool=tmp_path / "spool")
    following.close()
    record = store.get_run(run_id)
    assert (record.status, record.ended) == (RunStatus.COMPLETED, 5.0)
    assert stored(store, run_id) == [0, 1]
    # The same end sent again (two clients sharing the spool) is no problem.
    again = {"run_status": {"run_id": run_id, "status": "Completed", "only_from": ["Running"]}}
    following.spool.add("other", 1, json.dumps(again).encode())  # type: ignore[union-attr]
    assert following._drain_spool() == []
    # Against a server that answers, a run's end is sent at once, not spooled.
    assert not following.set_status(run_id, RunStatus.FAILED, only_from=[RunStatus.RUNNING])
    assert following.spool.pending() == []  # type: ignore[union-attr]


ENDING_CLIENT = """
import sys
from runhistory import Experiment, Workspace
from pathlib import Path
run = Experiment(Workspace(sys.argv[1]), "outage").start_logging(
    snapshot_directory=None, outputs=sys.argv[2]
)
(Path(sys.argv[2]) / "model.txt").write_text("weights")
run.log_list("x", range(100))
run.flush()
print(run.id, flush=True)
sys.stdin.readline()  # the server is stopped now
run.log_list("x", range(100, 150))
run.complete()
print("completed", flush=True)
"""


def test_a_run_completed_while_the_server_is_down_ends_completed_with_all_its_points(
    tmp_path: Path,
) -> None:
    """Real processes: the client that completed the run exits with its end in the spool; the
    server comes back; another client process sends it, after the points logged before it."""
    server = ServerProcess(tmp_path)
    home = tmp_path / "home"  # the spool lives in the user's cache folder
    env = {**os.environ, "HOME": str(home), "RUNHISTORY_WORKSPACE": ""}
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    try:
        client = subprocess.Popen(
            [sys.executable, "-c", ENDING_CLIENT, server.url, str(outputs)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert client.stdout is not None and client.stdin is not None
        run_id = client.stdout.readline().strip()
        assert run_id, client.communicate()[1]
        server.stop()
        out, err = client.communicate("go\n", timeout=120)
        assert client.returncode == 0, err
        assert out.strip() == "completed"  # complete() returned: its end waits in the spool
        assert "wait in" in err and str(home) in err  # it says what waits, and where
        assert "could not upload the outputs" in err  # files are not spooled; they stay
        assert (outputs / "model.txt").read_text() == "weights"

        server.log = open(tmp_path / "server.log", "ab")  # noqa: SIM115 - closed by stop()
        server.start()
        workspace = Workspace(server.url, settings=isolated_settings())
        assert workspace.store.get_run(run_id).status is RunStatus.RUNNING  # not sent yet
        workspace.close()
        later = subprocess.run(
            [sys.executable, "-m", "runhistory.cli", "experiments", "list", "-w", server.url],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert later.returncode == 0, later.stderr
        workspace = Workspace(server.url, settings=isolated_settings())
        record = workspace.store.get_run(run_id)
        assert record.status is RunStatus.COMPLETED
        assert list(workspace.store.read_metrics(run_id, ["x"])[0].values) == list(range(150))
        workspace.close()
    finally:
        server.stop()
