"""``runhistory init``: a workspace that later commands, and ``Workspace()``, find from below."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.conftest import BIN, rh


def test_init_creates_a_workspace_found_from_subfolders(tmp_path: Path) -> None:
    result = rh("init", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Initialized workspace in {tmp_path / '.runhistory'}\n"
    assert (tmp_path / ".runhistory" / "runhistory.db").is_file()
    below = tmp_path / "src" / "deeper"
    below.mkdir(parents=True)
    script = (
        "from runhistory import Experiment, Workspace\n"
        "ws = Workspace(); print(ws.location)\n"
        "run = Experiment(ws, 'found').start_logging(snapshot_directory=None, outputs=None)\n"
        "run.log('x', 1); run.complete(); ws.close()\n"
    )
    made = subprocess.run(
        [str(BIN / "python"), "-c", script], cwd=below, capture_output=True, text=True, check=True
    )
    assert made.stdout.strip() == str(tmp_path / ".runhistory")
    listed = json.loads(rh("history", "list", "-o", "json", cwd=below).stdout)
    assert [(r["experiment"], r["metrics"]) for r in listed] == [("found", {"x": 1})]


def test_init_twice_keeps_the_workspace(tmp_path: Path) -> None:
    rh("init", cwd=tmp_path)

    again = rh("init", "--path", str(tmp_path))

    assert again.returncode == 0
    assert again.stdout == f"Workspace already exists in {tmp_path / '.runhistory'}\n"


def test_init_at_an_exact_location(tmp_path: Path) -> None:
    result = rh("init", "-w", str(tmp_path / "team-ws"))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "team-ws" / "runhistory.db").is_file()
    assert rh("history", "list", "-w", str(tmp_path / "team-ws")).returncode == 0
