"""``wait_for_completion`` against a real server follows the run's event stream.

The run is logged by another client of the server, in a thread, as a training script would;
the waiter's requests go through a transport that notes each URL, so a test sees whether it
followed the stream or polled.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from runhistory import Run, Workspace
from runhistory.errors import RunFailedError, StoreError
from runhistory.model import RunStatus
from runhistory.sdk.waiting import wait_for_run
from runhistory.store.base import LogAppend, WriteBatch
from runhistory.store.rest import RestStore
from runhistory.store.sql.store import SqlStore
from tests.conftest import ServerProcess, isolated_settings

STD_LOG = "logs/std_log.txt"


class RecordingTransport(httpx.HTTPTransport):
    """The network, keeping the URL of every request sent through it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[httpx.URL] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(request.url)
        return super().handle_request(request)

    def paths(self, ending: str = "") -> list[str]:
        return [url.path for url in self.urls if url.path.endswith(ending)]


class TimedOutput(io.StringIO):
    """Printed text, with the time each piece was written."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((time.monotonic(), text))
        return super().write(text)

    def printed_at(self, text: str) -> float:
        return next(when for when, written in self.writes if text in written)


class Training:
    """A run of the server's, logged by a client of its own while the test waits for it."""

    def __init__(self, store: Any) -> None:
        self.store = store
        experiment = store.get_or_create_experiment("waiting")
        started = time.time()
        self.run_id: str = store.create_run(
            experiment.id, status=RunStatus.RUNNING, run_type="test", started=started
        ).id
        self.stored_at: dict[str, float] = {}

    def log(self, text: str, stream: str = STD_LOG) -> None:
        batch = WriteBatch(logs=[LogAppend(self.run_id, stream, time.time(), text)])
        while True:
            try:
                assert self.store.append(batch) == []
                break
            except StoreError:
                time.sleep(0.1)  # the server is away; the batch goes again, stored once
        self.stored_at[text] = time.monotonic()

    def end(self, status: RunStatus, error: dict[str, str] | None = None) -> None:
        self.store.set_status(self.run_id, status, ended=time.time(), error=error)


@contextlib.contextmanager
def running(training: Training, script: Callable[[], None]) -> Iterator[None]:
    """Play ``script`` in a thread while the block runs; a script that fails ends the run
    Failed, so that the waiter returns, and fails the test."""
    errors: list[BaseException] = []

    def play() -> None:
        try:
            script()
        except BaseException as error:
            errors.append(error)
            training.end(RunStatus.FAILED, {"type": "Test", "message": repr(error)})

    thread = threading.Thread(target=play)
    thread.start()
    try:
        yield
    finally:
        thread.join(60)
    if errors:
        raise errors[0]


def waiting_workspace(url: str) -> tuple[Workspace, RecordingTransport]:
    transport = RecordingTransport()
    workspace = Workspace(url, settings=isolated_settings())
    workspace._store = RestStore(url, transport=transport)
    return workspace, transport


def without_summary_times(text: str) -> str:
    return re.sub(r"Duration: \d+\.\d s", "Duration: D s", text)


def expected_output(run: Run, log: str, status: str, *more: str) -> str:
    return (
        f"RunId: {run.id}\nWeb View: {run.get_portal_url()}\n\n{log}\n"
        f"Execution Summary\n=================\nRunId: {run.id}\nStatus: {status}\n"
        "Duration: D s\n" + "".join(f"{line}\n" for line in more) + "\n"
    )


def test_waiting_prints_each_line_as_the_event_stream_brings_it(server: ServerProcess) -> None:
    server.empty()
    training = Training(RestStore(server.url))
    workspace, transport = waiting_workspace(server.url)
    run = Run.get(workspace, training.run_id)
    lines = [f"epoch {epoch}\n" for epoch in range(8)]

    def train() -> None:
        training.log("driver starts\n", "logs/driver_log.txt")
        for line in lines:
            time.sleep(0.15)
            training.log(line)
        time.sleep(0.3)
        training.log("a note\n", "logs/user_log.txt")
        time.sleep(0.3)
        training.end(RunStatus.COMPLETED)

    out = TimedOutput()
    with running(training, train), contextlib.redirect_stdout(out):
        details = run.wait_for_completion(show_output=True)
    workspace.close()

    assert details["status"] == "Completed" and details["runId"] == run.id
    log = "".join(lines) + "a note\n"
    assert without_summary_times(out.getvalue()) == expected_output(run, log, "Completed")
    # Live: each line is printed while the run goes on, a poll of the server (0.25 s) after
    # it is stored; the bound leaves room for a busy machine.
    delays = [out.printed_at(line) - training.stored_at[line] for line in lines]
    assert max(delays) < 2.0, delays
    run_path = f"/api/v1/runs/{run.id}"
    assert transport.paths("/events") == [f"{run_path}/events"]
    assert not [path for path in transport.paths() if path.startswith(f"{run_path}/logs/")]
    assert transport.paths().count(run_path) <= 2  # Run.get and the final details: no polling


def test_a_failed_run_raises_after_its_log_and_summary(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    server.empty()
    training = Training(RestStore(server.url))
    workspace, transport = waiting_workspace(server.url)
    run = Run.get(workspace, training.run_id)

    def train() -> None:
        training.log("loading data\n")
        time.sleep(0.3)
        training.end(RunStatus.FAILED, {"type": "ValueError", "message": "bad row 7"})

    with running(training, train), pytest.raises(RunFailedError, match="bad row 7"):
        run.wait_for_completion(show_output=True)
    printed = without_summary_times(capsys.readouterr().out)
    error = "Error: ValueError bad row 7"
    assert printed == expected_output(run, "loading data\n", "Failed", error)

    details = run.wait_for_completion(raise_on_error=False)
    assert details["status"] == "Failed" and capsys.readouterr().out == ""
    last_request = [url for url in transport.urls if url.path.endswith("/events")][-1]
    assert last_request.params.get("logs") == "false"  # no log text for a waiter not showing it
    workspace.close()


@pytest.mark.slow
def test_a_server_killed_and_restarted_mid_wait_loses_and_repeats_no_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    own_server = ServerProcess(tmp_path)
    try:
        training = Training(RestStore(own_server.url))
        workspace, transport = waiting_workspace(own_server.url)
        run = Run.get(workspace, training.run_id)
        lines = [f"line {number}\n" for number in range(30)]
        out = io.StringIO()

        def train_through_a_restart() -> None:
            for number, line in enumerate(lines):
                training.log(line)
                time.sleep(0.1)
                if number == 10:
                    own_server.kill()
                    time.sleep(0.5)
                    own_server.start()
            training.end(RunStatus.COMPLETED)

        with running(training, train_through_a_restart):
            details = wait_for_run(run, show_output=True, raise_on_error=True, out=out)
        workspace.close()
    finally:
        own_server.stop()

    assert details["status"] == "Completed"
    printed = without_summary_times(out.getvalue())
    assert printed == expected_output(run, "".join(lines), "Completed")
    streams = [url for url in transport.urls if url.path.endswith("/events")]
    assert len(streams) >= 2  # the waiter came back to the restarted server
    assert streams[-1].params.get_list("after")[0].startswith(f"{STD_LOG}:")
    assert any("lost the events" in record.getMessage() for record in caplog.records)


def without_event_streams(app: FastAPI) -> Starlette:
    """``app`` as served before event streams: their paths are unknown."""
    unknown = Route("/api/v1/runs/{run_id}/events", lambda _: PlainTextResponse("Not Found", 404))
    return Starlette(routes=[unknown, Mount("/", app)])


def test_a_server_without_event_streams_is_polled(
    app: FastAPI, store: SqlStore, capsys: pytest.CaptureFixture[str]
) -> None:
    rest = RestStore(
        "http://testserver", transport=TestClient(without_event_streams(app))._transport
    )
    workspace = Workspace(rest.location, settings=isolated_settings())
    workspace._store = rest
    training = Training(store)
    assert rest.follow_run(training.run_id) is None
    run = Run.get(workspace, training.run_id)

    def train() -> None:
        for epoch in range(3):
            time.sleep(0.2)
            training.log(f"epoch {epoch}\n")
        training.end(RunStatus.COMPLETED)

    with running(training, train):
        details = run.wait_for_completion(show_output=True)
    assert details["status"] == "Completed"
    printed = without_summary_times(capsys.readouterr().out)
    assert printed == expected_output(run, "epoch 0\nepoch 1\nepoch 2\n", "Completed")
