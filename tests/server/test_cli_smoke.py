"""``runhistory server`` and ``runhistory ui`` as real subprocesses on free ports."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from runhistory import Experiment, Workspace
from tests.conftest import ServerProcess, free_port, isolated_settings, wait_until_serving

BIN = Path(sys.executable).parent


def test_a_script_logs_to_the_server_and_reads_back(server: ServerProcess) -> None:
    server.empty()
    workspace = Workspace(server.url, settings=isolated_settings())
    try:
        run = Experiment(workspace, "smoke").start_logging(snapshot_directory=None, outputs=None)
        for step in range(100):
            run.log("loss", 1 / (step + 1))
        run.complete()
        assert len(run.get_metrics()["loss"]) == 100
    finally:
        workspace.close()
    with urllib.request.urlopen(f"{server.url}/api/v1/runs/{run.id}") as response:
        assert json.load(response)["status"] == "Completed"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server.url}/api/v1/runs/{run.id}x")
    assert refused.value.code == 404
    assert json.load(refused.value)["error_code"] == "run_not_found"


def test_ui_serves_the_embedded_workspace(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / ".runhistory", settings=isolated_settings())
    Experiment(workspace, "local").start_logging(snapshot_directory=None, outputs=None).complete()
    workspace.close()
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "runhistory"), "ui", "-w", str(tmp_path / ".runhistory"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, process)
        with urllib.request.urlopen(f"{url}/api/v1/experiments") as response:
            assert [e["name"] for e in json.load(response)] == ["local"]
    finally:
        process.terminate()
        process.wait(10)
