"""``runhistory run``: a script submitted from the current folder, as a user types it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runhistory import Experiment, Workspace
from runhistory.cli.submit import default_experiment_name

pytestmark = pytest.mark.xdist_group("compute")

LEGACY_SCRIPT = """
    import sys
    from runhistory import get_logger

    logger = get_logger()
    logger.log("Accuracy", 0.9)
    logger.log("all values", [5, 6, 7])
    print("arguments", sys.argv[1:])
    sys.exit(int(sys.argv[-1]))
"""


def runhistory(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RUNHISTORY_WORKSPACE": str(folder / ".runhistory"),
        "RUNHISTORY_AGENT_IDLE_SECONDS": "3",
        "RUNHISTORY_AGENT_POLL_SECONDS": "0.05",
    }
    command = [sys.executable, "-m", "runhistory.cli", *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    project = tmp_path / "my project"
    project.mkdir()
    (project / "train.py").write_text(textwrap.dedent(LEGACY_SCRIPT))
    assert runhistory(project, "init").returncode == 0
    return project


def test_run_wait_streams_the_log_and_scripts_using_get_logger_work(folder: Path) -> None:
    result = runhistory(
        folder, "run", "--wait", "--tag", "kind=legacy", "train.py", "--alpha", "0.5", "0"
    )
    assert result.returncode == 0, result.stderr
    assert "arguments ['--alpha', '0.5', '0']" in result.stdout
    assert "Status: Completed" in result.stdout
    workspace = Workspace(folder / ".runhistory")
    (run,) = Experiment(workspace, "my-project").get_runs()
    assert run.get_metrics() == {"Accuracy": 0.9, "all values": [5, 6, 7]}
    assert run.get_tags() == {"kind": "legacy"}
    assert run.get_details()["arguments"] == ["--alpha", "0.5", "0"]


def test_run_wait_exits_with_the_scripts_code(folder: Path) -> None:
    result = runhistory(folder, "run", "-e", "codes", "--wait", "train.py", "3")
    assert result.returncode == 3
    assert "Status: Failed" in result.stdout


def test_run_without_wait_returns_at_once_and_the_run_goes_on(folder: Path) -> None:
    (folder / "slow.py").write_text("import time\ntime.sleep(1)\nprint('late')\n")
    started = time.monotonic()
    result = runhistory(folder, "run", "-e", "later", "slow.py")
    assert result.returncode == 0 and time.monotonic() - started < 5
    assert "is queued on local" in result.stderr
    workspace = Workspace(folder / ".runhistory")
    (run,) = Experiment(workspace, "later").get_runs()
    assert run.wait_for_completion()["status"] == "Completed"


def test_an_unknown_target_is_an_error(folder: Path) -> None:
    result = runhistory(folder, "run", "--target", "gpu", "train.py")
    assert result.returncode == 1
    assert "no compute target 'gpu'" in result.stderr


def test_default_experiment_names_are_valid() -> None:
    assert default_experiment_name(Path("/x/my project")) == "my-project"
    assert default_experiment_name(Path("/x/_hidden")) == "hidden"
    assert default_experiment_name(Path("/x/!!!")) == "default"
