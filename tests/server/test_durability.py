"""A server SIGKILLed while a script logs: once it is back, every point is stored exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from runhistory import Experiment, Workspace
from runhistory.store.rest import RestStore
from tests.conftest import ServerProcess, isolated_settings


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    started = ServerProcess(tmp_path)
    yield started
    started.stop()


@pytest.mark.slow
def test_points_survive_a_server_killed_mid_run_exactly_once(
    own_server: ServerProcess, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    workspace = Workspace(own_server.url, settings=isolated_settings(flush_interval=0.02))
    workspace._store = RestStore(own_server.url, spool=tmp_path / "spool")
    run = Experiment(workspace, "durable").start_logging(snapshot_directory=None, outputs=None)
    total = 30_000
    logged = threading.Event()

    def log_points() -> None:
        for step in range(total):
            run.log("x", step)
            if step % 100 == 0:
                time.sleep(0.01)  # about three seconds of logging
        logged.set()

    logger = threading.Thread(target=log_points)
    logger.start()
    time.sleep(0.8)
    own_server.kill()
    time.sleep(0.5)
    own_server.start()
    logger.join()
    assert logged.is_set()
    for _ in range(50):  # the writer gets the server back at one of its next flushes
        try:
            run.flush()
            break
        except Exception:
            time.sleep(0.2)
    run.complete()
    history = workspace.store.read_metrics(run.id, ["x"])[0]
    workspace.close()
    assert list(history.values) == list(range(total))
    assert list(history.steps) == list(range(total))
    assert any("keeps a batch" in r.getMessage() for r in caplog.records)  # the outage was hit


CLIENT_SCRIPT = textwrap.dedent(
    """
    import sys
    from runhistory import Experiment, Workspace

    url, points, worker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    workspace = Workspace(url)
    run = Experiment(workspace, "parallel").start_logging(snapshot_directory=None, outputs=None)
    run.tag("worker", worker)
    for step in range(points):
        run.log("value", float(step))
        if step % 1000 == 0:
            run.log_row("row", step=step, worker=worker)
    run.complete()
    workspace.close()
    """
)


@pytest.mark.slow
def test_sixteen_client_processes_lose_nothing(own_server: ServerProcess) -> None:
    points = 20_000
    env = {**os.environ, "RUNHISTORY_FLUSH_INTERVAL": "0.05", "RUNHISTORY_WORKSPACE": ""}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT_SCRIPT, own_server.url, str(points), str(worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for worker in range(16)
    ]
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert "error" not in err.lower(), err
    workspace = Workspace(own_server.url, settings=isolated_settings())
    runs = list(Experiment(workspace, "parallel").get_runs())
    assert sorted(r.get_tags()["worker"] for r in runs) == sorted(str(w) for w in range(16))
    for run in runs:
        assert run.get_status() == "Completed"
        history = run.get_metric_history("value")
        assert np.array_equal(history.values, np.arange(points, dtype=np.float64))
        assert np.array_equal(history.steps, np.arange(points))
        assert len(run.get_metrics()["row"]["step"]) == points // 1000
    workspace.close()


@pytest.mark.slow
def test_two_workers_over_one_postgresql_database(postgres_url: str, tmp_path: Path) -> None:
    from runhistory.store.sql.database import Database
    from runhistory.store.sql.migrate import ensure_schema
    from tests.conftest import _TABLES, free_port, wait_until_serving

    database = Database.open(postgres_url)
    ensure_schema(database)
    database.write(lambda cursor: cursor.execute(f"TRUNCATE {_TABLES}"))
    database.close()
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "runhistory.cli", "server", "--store", postgres_url,
            "--artifacts", str(tmp_path / "artifacts"), "--port", str(port), "--workers", "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server)
        points = 5_000
        env = {**os.environ, "RUNHISTORY_FLUSH_INTERVAL": "0.02", "RUNHISTORY_WORKSPACE": ""}
        clients = [
            subprocess.Popen(
                [sys.executable, "-c", CLIENT_SCRIPT, url, str(points), str(worker)],
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for worker in range(4)
        ]
        for client in clients:
            _out, err = client.communicate(timeout=120)
            assert client.returncode == 0, err
        workspace = Workspace(url, settings=isolated_settings())
        runs = list(Experiment(workspace, "parallel").get_runs())
        assert len(runs) == 4
        for run in runs:
            history = run.get_metric_history("value")
            assert np.array_equal(history.values, np.arange(points, dtype=np.float64))
        workspace.close()
    finally:
        server.terminate()
        server.wait(15)
