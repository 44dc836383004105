"""Options every command shares: finding the workspace, errors and exit codes, database URLs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from runhistory import Experiment, Workspace
from tests.cli.conftest import rh
from tests.conftest import isolated_settings
from tests.sdk.conftest import Populated


def test_without_a_workspace_commands_say_how_to_make_one(tmp_path: Path) -> None:
    result = rh("history", "list", cwd=tmp_path)

    assert result.returncode == 3
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no workspace here: no .runhistory folder in {tmp_path} or its parents; "
        "run 'runhistory init' to create one, or pass -w LOCATION\n"
    )
    assert not (tmp_path / ".runhistory").exists()  # reading never creates a workspace


def test_a_missing_workspace_location_is_not_found(tmp_path: Path) -> None:
    result = rh("history", "last", "-w", str(tmp_path / "nowhere"))

    assert result.returncode == 3
    assert f"no workspace at {tmp_path / 'nowhere'}" in result.stderr


def test_the_workspace_comes_from_the_environment(populated: Populated, tmp_path: Path) -> None:
    result = rh("history", "last", cwd=tmp_path, env={"RUNHISTORY_WORKSPACE": populated.location})

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["runId"] == populated.other.id


def test_usage_errors_exit_2(populated: Populated) -> None:
    unknown = rh("history", "list", "--colour", "-w", populated.location)
    missing = rh("history", "info", "-w", populated.location)
    bad_format = rh("history", "list", "-o", "yaml", "-w", populated.location)

    assert [unknown.returncode, missing.returncode, bad_format.returncode] == [2, 2, 2]
    assert re.search(r"No such option:? .?--colour", unknown.stderr)
    assert "Missing argument 'RUN'" in missing.stderr


def test_help_and_version() -> None:
    assert "history" in rh("--help").stdout
    assert rh("--version").stdout.startswith("runhistory, version ")
    listing = rh("history", "list", "--help").stdout
    for option in ("--workspace", "--experiment", "--output", "--sort", "--limit", "--tag"):
        assert option in listing


def test_a_postgresql_workspace(postgres_url: str, tmp_path: Path) -> None:
    workspace = Workspace(
        postgres_url, artifacts=tmp_path / "artifacts", settings=isolated_settings()
    )
    run = Experiment(workspace, f"pg-cli-{tmp_path.name[-12:]}").start_logging(
        snapshot_directory=None, outputs=None
    )
    run.log("loss", 0.5)
    run.complete()
    workspace.close()

    listed = rh(
        "history", "list", "-e", run.experiment.name, "-o", "json",
        "-w", postgres_url, "--artifacts", str(tmp_path / "artifacts"),
    )  # fmt: skip
    info = rh(
        "history", "info", f"{run.experiment.name}:1", "-w", postgres_url,
        env={"RUNHISTORY_ARTIFACTS": str(tmp_path / "artifacts")},
    )  # fmt: skip

    assert listed.returncode == 0, listed.stderr
    assert [(r["runId"], r["metrics"]) for r in json.loads(listed.stdout)] == [
        (run.id, {"loss": 0.5})
    ]
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["metrics"] == {"loss": 0.5}


def test_a_database_workspace_needs_a_place_for_files(postgres_url: str) -> None:
    result = rh("history", "list", "-w", postgres_url)

    assert result.returncode == 1
    assert "also say where its files go" in result.stderr
