"""The write path's promises (DESIGN 5), with real processes on a real embedded workspace.

- Many processes log into one workspace at once: every point is stored, no "database is locked"
  error reaches anyone.
- A process killed with SIGKILL loses at most the last flush interval; the workspace opens cleanly.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.errors import StoreError
from runhistory.model import MetricKind
from runhistory.store.base import MetricAppend, WriteBatch
from runhistory.writer import RunBuffers, SeriesBuffer, take

from .conftest import isolated_settings

LOGGER_SCRIPT = textwrap.dedent(
    """
    import sys
    from runhistory import Experiment, Workspace

    workspace, count = sys.argv[1], int(sys.argv[2])
    run = Experiment(Workspace(workspace), "parallel").start_logging(snapshot_directory=None, outputs=None)
    run.tag("worker", sys.argv[3])
    for value in range(count):
        run.log("value", float(value))
    run.complete()
    print(run.id)
    """
)


@pytest.mark.slow
@pytest.mark.xdist_group("heavy")
def test_eight_processes_log_200k_points_each_into_one_new_workspace(tmp_path: Path) -> None:
    folder = tmp_path / ".runhistory"
    points = 200_000
    env = {**os.environ, "RUNHISTORY_FLUSH_INTERVAL": "0.05", "RUNHISTORY_WORKSPACE": ""}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", LOGGER_SCRIPT, str(folder), str(points), str(worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for worker in range(8)
    ]
    results = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert "locked" not in err.lower() and "error" not in err.lower(), err

    workspace = Workspace(folder, settings=isolated_settings())
    runs = list(Experiment(workspace, "parallel").get_runs())
    assert len(runs) == 8
    assert sorted(r.get_tags()["worker"] for r in runs) == [str(w) for w in range(8)]
    expected = np.arange(points, dtype=np.float64)
    for run in runs:
        assert run.get_status() == "Completed"
        history = run.get_metric_history("value")
        assert np.array_equal(history.values, expected)
        assert np.array_equal(history.steps, np.arange(points))
    workspace.close()


CRASH_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from runhistory import Experiment, Workspace

    run = Experiment(Workspace(sys.argv[1]), "crash").start_logging(snapshot_directory=None, outputs=None)
    print(run.id, flush=True)
    while True:
        run.log("clock", time.time())
        time.sleep(0.0002)
    """
)


@pytest.mark.xdist_group("heavy")
def test_sigkill_loses_at_most_the_last_flush_interval(tmp_path: Path) -> None:
    folder = tmp_path / ".runhistory"
    interval = 0.2
    env = {**os.environ, "RUNHISTORY_FLUSH_INTERVAL": str(interval), "RUNHISTORY_WORKSPACE": ""}
    process = subprocess.Popen(
        [sys.executable, "-c", CRASH_SCRIPT, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    time.sleep(2.0)
    killed_at = time.time()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    database = folder / "runhistory.db"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    workspace = Workspace(folder, settings=isolated_settings())
    run = Run.get(workspace, run_id)
    history = run.get_metric_history("clock")
    # Everything stored is a gap-free prefix of what was logged ...
    assert np.array_equal(history.steps, np.arange(len(history)))
    assert np.all(np.diff(history.values) > 0)
    # ... and it reaches to within one flush interval (plus scheduling slack) of the kill.
    slack = 0.5
    assert history.values[-1] >= killed_at - interval - slack, killed_at - history.values[-1]
    assert run.get_status() == "Running"  # until its missing heartbeat marks it

    # The workspace opens cleanly and takes new runs.
    fresh = Experiment(workspace, "crash").start_logging(snapshot_directory=None, outputs=None)
    fresh.log("after", 1.0)
    fresh.complete()
    assert fresh.get_metrics() == {"after": 1.0}
    workspace.close()


def test_background_writer_flushes_without_being_asked(sqlite_workspace: Workspace) -> None:
    run = Experiment(sqlite_workspace, "bg").start_logging(snapshot_directory=None, outputs=None)
    run.log("x", 1.0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if sqlite_workspace.store.read_metrics(run.id, ["x"]):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the writer did not flush within 5 s")
    assert run._buffers is not None and not run._buffers.series["x"].values


def test_a_failed_flush_keeps_the_points_for_the_next_one(sqlite_workspace: Workspace) -> None:
    run = Experiment(sqlite_workspace, "retry").start_logging(snapshot_directory=None, outputs=None)
    writer = sqlite_workspace.writer
    store = sqlite_workspace.store
    real_append = store.append
    down = {"now": True}

    def failing_while_down(batch: WriteBatch) -> list[str]:
        if down["now"]:
            raise StoreError("disk unavailable")
        return real_append(batch)

    store.append = failing_while_down  # type: ignore[method-assign]
    run.log("x", 1.0)
    with pytest.raises(StoreError):
        writer.flush()
    down["now"] = False
    run.log("x", 2.0)
    writer.flush()
    store.append = real_append  # type: ignore[method-assign]
    assert run.get_metrics() == {"x": [1.0, 2.0]}


def test_take_removes_only_a_consistent_prefix() -> None:
    buffer = SeriesBuffer("m", MetricKind.SCALAR, "")
    buffer.values.extend([1.0, 2.0, 3.0])
    buffer.times.extend([10.0, 11.0])  # the logging thread is between its two appends
    taken = take(buffer, "run")
    assert taken is not None and taken.values == [1.0, 2.0] and taken.timestamps == [10.0, 11.0]
    assert buffer.values == [3.0] and buffer.times == []
    assert take(SeriesBuffer("empty", MetricKind.SCALAR, ""), "run") is None


def test_taking_many_log_lines_is_linear_and_keeps_streams_in_order() -> None:
    buffers = RunBuffers("run-1")
    lines = [f"{i:08d} {'x' * 90}\n" for i in range(100_000)]
    for i, line in enumerate(lines):
        buffers.logs.append(("logs/std_log.txt", float(i), line))
        if i == 19_999:
            buffers.logs.append(("logs/driver_log.txt", float(i), "half way\n"))
    started = time.monotonic()
    _, logs = buffers.take()
    # Merging line by line copied the text for every line: 100,000 lines took about a minute.
    assert time.monotonic() - started < 10
    assert [(e.stream, e.created) for e in logs] == [
        ("logs/std_log.txt", 0.0),
        ("logs/driver_log.txt", 19_999.0),
        ("logs/std_log.txt", 20_000.0),
    ]
    assert logs[0].text + logs[2].text == "".join(lines)
    assert logs[1].text == "half way\n"
    assert buffers.take() == ([], [])


def test_points_from_one_batch_for_a_missing_run_are_reported(sqlite_workspace: Workspace) -> None:
    problems = sqlite_workspace.store.append(
        WriteBatch(
            metrics=[MetricAppend("no-such-run", "x", MetricKind.SCALAR, "", [1.0], [time.time()])]
        )
    )
    assert problems and "no-such-run" in problems[0]


FAST_SCRIPT = textwrap.dedent(
    """
    import logging, os, resource, sys
    from runhistory import Experiment, Workspace

    logging.basicConfig()  # the writer's warnings, if any, go to the test's output

    def resident_kib():
        # Not ru_maxrss: Linux carries it over exec from the forked test process.
        try:
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    run = Experiment(Workspace(sys.argv[1]), "fast").start_logging(snapshot_directory=None, outputs=None)
    print(run.id, flush=True)
    logged = 0
    while True:  # as fast as a Python loop logs; says how far it got every 20,000 points
        for _ in range(20_000):
            run.log("x", float(logged))
            logged += 1
        waiting = len(run._buffers.series["x"].values)
        print(logged, resident_kib(), waiting, flush=True)
    """
)


@pytest.mark.slow
@pytest.mark.xdist_group("heavy")
def test_sigkill_under_the_fastest_logging_loses_at_most_an_interval_and_memory_stays_bounded(
    tmp_path: Path,
) -> None:
    folder = tmp_path / ".runhistory"
    interval = 1.0
    env = {**os.environ, "RUNHISTORY_FLUSH_INTERVAL": str(interval), "RUNHISTORY_WORKSPACE": ""}
    process = subprocess.Popen(
        [sys.executable, "-c", FAST_SCRIPT, str(folder)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    reports: list[tuple[float, int, int]] = []  # (when, points logged, memory in KiB)
    most_waiting = 0  # points in the buffer at a report
    started = time.monotonic()
    while time.monotonic() - started < 4.0:
        logged, memory, waiting = map(int, process.stdout.readline().split())
        reports.append((time.monotonic(), logged, memory))
        most_waiting = max(most_waiting, waiting)
    killed_at = time.monotonic()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    history = Run.get(Workspace(folder, settings=isolated_settings()), run_id).get_metric_history(
        "x"
    )
    stored = len(history)
    assert np.array_equal(history.values, np.arange(stored, dtype=np.float64))  # a prefix
    last_logged = reports[-1][1]
    peak = max(memory for _at, _logged, memory in reports)
    # Everything it had logged one interval (plus the scheduling slack of the test above)
    # before the kill is stored.
    slack = 0.5
    logged_before = max(n for at, n, _ in reports if at <= killed_at - interval - slack)
    assert last_logged > 1_000_000, "the loop is too slow to test anything"
    assert stored >= logged_before, (stored, logged_before, last_logged)
    # Buffers are bounded: the process stays near its size at rest (unbounded: 400-800 MB).
    assert peak < 250 * 1024, f"peak memory {peak // 1024} MB, {most_waiting} points waiting"


def test_a_value_no_store_can_keep_does_not_hold_back_the_others(
    sqlite_workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    run = Experiment(sqlite_workspace, "poison").start_logging(
        snapshot_directory=None, outputs=None
    )
    run.log("bad", 1.0)
    run.flush()
    assert run._buffers is not None
    series = run._buffers.series["bad"]
    series.values.append(10**400)  # as if a value slipped past the checks of log()
    series.times.append(time.time())
    run.log("good", 1.0)
    run.flush()
    run.log("good", 2.0)
    run.complete()
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"bad": 1.0, "good": [1.0, 2.0]}
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped and "'bad'" in dropped[0], [r.getMessage() for r in caplog.records]


def test_a_value_postgresql_refuses_does_not_hold_back_the_others(
    postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL wraps its refusal (NUL in text) in the StoreError a lost connection raises: the
    writer tells them apart by whether the store still takes a heartbeat."""
    from tests.conftest import _TABLES

    workspace = Workspace(
        postgres_url, artifacts=tmp_path / "artifacts", settings=isolated_settings()
    )
    workspace.store.db.write(lambda cursor: cursor.execute(f"TRUNCATE {_TABLES}"))  # type: ignore[attr-defined]
    run = Experiment(workspace, "poison").start_logging(snapshot_directory=None, outputs=None)
    run.log("good", 1.0)
    run.flush()
    bad = SeriesBuffer("bad", MetricKind.SCALAR, "a\x00b")  # as if it slipped past log()
    run._active_buffers().add_series(bad)
    bad.values.append(1.0)
    bad.times.append(time.time())
    run.flush()  # the bad points alone: nothing of this flush is stored
    run.log("good", 2.0)
    run.complete()
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"good": [1.0, 2.0]}
    assert any("'bad'" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)
    workspace.close()
