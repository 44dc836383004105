"""``Run.get_context()``, ``get_logger()`` and ``logging_handler()``: offline, recorded and inside a
submitted run (a real subprocess that a launcher would start)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import runhistory
import runhistory.sdk.context
from runhistory import Experiment, Run, Workspace, get_logger
from runhistory.errors import InvalidStateError
from runhistory.model import MetricKind
from runhistory.sdk.context import OfflineRun

_CONTEXT_VARIABLES = ("RUNHISTORY_RUN_ID", "RUNHISTORY_WORKSPACE", "RUNHISTORY_OFFLINE")


@pytest.fixture(autouse=True)
def fresh_context(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts outside any run, with no context run cached by an earlier test."""
    for variable in _CONTEXT_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    runhistory.sdk.context._context_run = None
    yield
    cached = runhistory.sdk.context._context_run
    runhistory.sdk.context._context_run = None
    if isinstance(cached, Run):
        if cached.get_status() == "Running":
            cached.complete()
        cached.experiment.workspace.close()


def enter_run(monkeypatch: pytest.MonkeyPatch, workspace: Workspace, run: Run) -> None:
    """What the launcher of a submitted run sets for its script."""
    monkeypatch.setenv("RUNHISTORY_RUN_ID", run.id)
    monkeypatch.setenv("RUNHISTORY_WORKSPACE", workspace.location)


# offline ----------------------------------------------------------------------------------------


def test_outside_a_run_the_context_prints_what_it_would_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = Run.get_context()

    run.log("accuracy", 0.9)
    run.log("accuracy", 0.95)
    run.log_list("losses", [3, 2, 1])

    assert isinstance(run, OfflineRun)
    printed = capsys.readouterr().out
    assert "Attempted to log scalar metric accuracy" in printed
    assert "0.95" in printed
    assert "Attempted to log list metric losses" in printed
    assert run.get_metrics() == {"accuracy": [0.9, 0.95], "losses": [3, 2, 1]}
    assert run.get_metrics("accuracy") == {"accuracy": [0.9, 0.95]}
    assert run.get_metrics("missing") == {}


def test_the_context_is_the_same_run_for_the_whole_process() -> None:
    assert Run.get_context() is Run.get_context()


def test_offline_run_takes_the_calls_of_a_script_without_failing() -> None:
    run = Run.get_context()

    run.tag("k", "v")
    run.add_properties({"p": 1})
    with run:
        run.log_row("row", x=1, y=2)
    run.complete()

    assert run.get_tags() == {"k": "v"}
    assert run.get_properties() == {"p": "1"}
    assert run.get_status() == "Running"


def test_outside_a_run_without_offline_raises() -> None:
    with pytest.raises(InvalidStateError, match="RUNHISTORY_RUN_ID"):
        Run.get_context(allow_offline=False)


def test_offline_record_logs_into_the_default_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    location = tmp_path / "recorded"
    monkeypatch.setenv("RUNHISTORY_WORKSPACE", str(location))
    monkeypatch.setenv("RUNHISTORY_OFFLINE", "record")

    run = Run.get_context()
    run.log("accuracy", 0.9)
    run.log("accuracy", 0.95)
    run.complete()

    workspace = Workspace(location)
    try:
        runs = list(Experiment(workspace, "offline").get_runs())
        assert [r.id for r in runs] == [run.id]
        assert runs[0].get_metrics() == {"accuracy": [0.9, 0.95]}
        assert runs[0].get_status() == "Completed"
    finally:
        workspace.close()


# inside a submitted run -------------------------------------------------------------------------


def test_inside_a_submitted_run_the_context_is_that_run(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted = Experiment(sqlite_workspace, "submitted").start_logging(
        snapshot_directory=None, outputs=None
    )
    enter_run(monkeypatch, sqlite_workspace, submitted)

    context = Run.get_context()
    context.log("loss", 0.5)
    context.log("loss", 0.25)
    context.tag("from", "script")
    context.flush()

    assert isinstance(context, Run)
    assert context.id == submitted.id
    assert context.experiment.name == "submitted"
    assert submitted.get_metrics() == {"loss": [0.5, 0.25]}
    assert submitted.get_tags() == {"from": "script"}


def test_inside_a_submitted_run_allow_offline_false_is_fine(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted = Experiment(sqlite_workspace, "submitted").start_logging(
        snapshot_directory=None, outputs=None
    )
    enter_run(monkeypatch, sqlite_workspace, submitted)

    assert Run.get_context(allow_offline=False).id == submitted.id


def test_get_logger_logs_scalars_and_lists_into_the_run(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted = Experiment(sqlite_workspace, "submitted").start_logging(
        snapshot_directory=None, outputs=None
    )
    enter_run(monkeypatch, sqlite_workspace, submitted)

    logger = get_logger()
    logger.log("Accuracy", 0.9)
    logger.log("all values", [5, 6, 7])
    Run.get_context().flush()

    assert submitted.get_metrics() == {"Accuracy": 0.9, "all values": [5, 6, 7]}
    assert submitted.get_metric_history("all values").kind is MetricKind.LIST


def test_logging_handler_writes_records_into_the_user_log(
    sqlite_workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    submitted = Experiment(sqlite_workspace, "submitted").start_logging(
        snapshot_directory=None, outputs=None
    )
    enter_run(monkeypatch, sqlite_workspace, submitted)
    logger = logging.getLogger("tests.sdk.context.user_script")
    logger.setLevel(logging.INFO)
    handler = runhistory.logging_handler()
    logger.addHandler(handler)
    try:
        logger.info("epoch %d: loss %.2f", 1, 0.5)
        logger.warning("learning rate is high")
        logger.debug("not at this level")
    finally:
        logger.removeHandler(handler)
    Run.get_context().flush()

    assert "logs/user_log.txt" in submitted.get_file_names()
    text = submitted.download_file("logs/user_log.txt", tmp_path / "user_log.txt").read_text()
    lines = text.splitlines()
    assert len(lines) == 2
    assert "INFO" in lines[0] and "epoch 1: loss 0.50" in lines[0]
    assert "WARNING" in lines[1] and "learning rate is high" in lines[1]


SCRIPT = """\
import logging

import runhistory
from runhistory import Run, get_logger

logger = get_logger()
logger.log("Accuracy", 0.9)
logger.log("all values", [5, 6, 7])
logging.getLogger("train").addHandler(runhistory.logging_handler())
logging.getLogger("train").warning("training done")
Run.get_context().tag("seen_run", Run.get_context().id)
print("script finished")
"""


def test_a_script_in_a_submitted_run_is_flushed_at_exit(
    workspace: Workspace, run: Run, tmp_path: Path
) -> None:
    # The script neither flushes nor completes: the exit hook alone must store what it logged.
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNHISTORY_")}
    env.update(RUNHISTORY_RUN_ID=run.id, RUNHISTORY_WORKSPACE=workspace.location)
    if not workspace.is_embedded:
        env["RUNHISTORY_ARTIFACTS"] = str(tmp_path / "artifacts")
    env["RUNHISTORY_FLUSH_INTERVAL"] = "60"  # no background flush before the exit

    finished = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode == 0, finished.stderr
    assert "script finished" in finished.stdout
    assert run.get_metrics() == {"Accuracy": 0.9, "all values": [5, 6, 7]}
    assert run.get_metric_history("Accuracy").kind is MetricKind.SCALAR
    assert run.get_metric_history("all values").kind is MetricKind.LIST
    assert run.get_tags() == {"seen_run": run.id}
    assert "training done" in run.get_details_with_logs()["logFiles"]["logs/user_log.txt"]
