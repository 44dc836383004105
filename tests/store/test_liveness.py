"""A run whose process dies reads NotResponding, then Failed, on every store: decided by the
store from missing heartbeats, not by the process that should have sent them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.model import RunStatus
from runhistory.settings import Settings
from tests.conftest import ServerProcess, isolated_settings, make_workspace

# Short silences, so that the test waits seconds rather than minutes.
WATCH = {
    "RUNHISTORY_HEARTBEAT_INTERVAL": "0.2",
    "RUNHISTORY_FLUSH_INTERVAL": "0.1",
    "RUNHISTORY_NOT_RESPONDING_SECONDS": "2",
    "RUNHISTORY_LOST_RUN_SECONDS": "5",
}

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from runhistory import Experiment, Workspace
    run = Experiment(Workspace(sys.argv[1]), "liveness").start_logging(
        snapshot_directory=None, outputs=None
    )
    print(run.id, flush=True)
    time.sleep(600)  # idle: it logs nothing, only its heartbeat shows it is alive
    """
)


class WatchedServer(ServerProcess):
    """A server subprocess whose settings come from ``WATCH``."""

    def start(self) -> None:
        previous = {name: os.environ.get(name) for name in WATCH}
        os.environ.update(WATCH)
        try:
            super().start()
        finally:
            for name, value in previous.items():
                if value is None:
                    del os.environ[name]
                else:
                    os.environ[name] = value


@pytest.fixture(params=["sqlite", "server"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / ".runhistory")
        return
    server = WatchedServer(tmp_path)
    yield server.url
    server.stop()


def start_idle_run(location: str, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    environment = {**os.environ, **WATCH, "HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, location],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    assert run_id, f"the script exited with code {process.wait()}"
    return process, run_id


def wait_for(check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.1)


def test_a_killed_interactive_run_becomes_not_responding_then_failed(
    location: str, tmp_path: Path
) -> None:
    process, run_id = start_idle_run(location, tmp_path)
    settings = Settings.from_env(WATCH)
    workspace = Workspace(location, settings=isolated_settings(
        not_responding_seconds=settings.not_responding_seconds,
        lost_run_seconds=settings.lost_run_seconds,
    ))  # fmt: skip
    try:
        # Alive and idle for longer than the NotResponding limit: its heartbeat keeps it Running.
        time.sleep(settings.not_responding_seconds * 1.5)
        run = Run.get(workspace, run_id)
        assert run.get_status() == "Running"

        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = time.time()
        statuses: list[str] = []

        def status_is(wanted: str) -> Callable[[], bool]:
            def check() -> bool:
                statuses.append(run.get_status())
                return statuses[-1] == wanted

            return check

        wait_for(status_is("NotResponding"))
        # Waiting for the run (live events through a server) ends: it does not wait forever.
        ended: list[dict[str, object]] = []
        waiter = threading.Thread(
            target=lambda: ended.append(run.wait_for_completion(raise_on_error=False)),
            daemon=True,
        )
        waiter.start()
        waiter.join(60)
        assert ended and ended[0]["status"] == "Failed"
        wait_for(status_is("Failed"))
        assert statuses.index("NotResponding") < statuses.index("Failed")
        record = workspace.store.get_run(run_id)
        assert record.error is not None and record.error["type"] == "LostHeartbeat"
        # Its end is its last heartbeat, so its duration stops growing.
        assert record.ended is not None and killed - 2 < record.ended <= killed + 0.5
        listed = Experiment(workspace, "liveness").get_runs()
        assert [r.get_status() for r in listed] == ["Failed"]
    finally:
        if process.poll() is None:
            process.kill()
        workspace.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_that_beats_again_is_running_again(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """NotResponding is a silence, not an end: a process that was only stalled comes back."""
    workspace = make_workspace(
        backend,
        tmp_path,
        request,
        heartbeat_interval=3600.0,
        not_responding_seconds=0.5,
        lost_run_seconds=3600.0,
    )
    run = Experiment(workspace, "liveness").start_logging(snapshot_directory=None, outputs=None)
    run.flush()
    wait_for(lambda: run.get_status() == "NotResponding")
    run.log("loss", 0.5)
    run.flush()  # stored points are a sign of life like a heartbeat
    assert run.get_status() == "Running"
    run.complete()
    assert run.get_status() == "Completed"
    workspace.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_failed_for_silence_that_beats_again_can_still_complete(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A laptop that slept past the limit, or a client cut off from its server that long:
    the run's own end still counts once it is heard from again."""
    workspace = make_workspace(
        backend,
        tmp_path,
        request,
        heartbeat_interval=3600.0,
        not_responding_seconds=0.2,
        lost_run_seconds=0.4,
    )
    run = Experiment(workspace, "liveness").start_logging(snapshot_directory=None, outputs=None)
    run.flush()
    wait_for(lambda: run.get_status() == "Failed")
    assert run.get_details()["error"]["type"] == "LostHeartbeat"
    run.log("loss", 0.5)
    run.complete()
    details = run.get_details()
    assert (details["status"], details["error"]) == ("Completed", None)
    assert run.get_metrics() == {"loss": 0.5}
    workspace.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_stalled_run_heard_from_again_stays_running_until_its_next_beat(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Points that revive a run count as its heartbeat: it does not flap back to NotResponding
    on the next read."""
    workspace = make_workspace(
        backend,
        tmp_path,
        request,
        heartbeat_interval=3600.0,
        not_responding_seconds=2.0,
        lost_run_seconds=3600.0,
    )
    run = Experiment(workspace, "liveness").start_logging(snapshot_directory=None, outputs=None)
    run.flush()
    wait_for(lambda: run.get_status() == "NotResponding")
    run.log("loss", 0.5)
    run.flush()
    time.sleep(1.2)  # past the store's sweep period (1 s), inside the silence limit (2 s)
    assert run.get_status() == "Running"
    run.complete()
    workspace.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_runs_of_mlflow_clients_are_not_watched(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """MLflow clients send no heartbeats; their runs stay RUNNING until the client ends them,
    as on MLflow's own server."""
    workspace = make_workspace(
        backend, tmp_path, request, not_responding_seconds=0.2, lost_run_seconds=0.4
    )
    store = workspace.store
    experiment = store.get_or_create_experiment("from-mlflow")
    record = store.create_run(
        experiment.id, status=RunStatus.RUNNING, run_type="mlflow", started=time.time() - 3600
    )
    time.sleep(1.2)
    assert store.get_run(record.id).status == RunStatus.RUNNING
    workspace.close()
