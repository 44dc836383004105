"""The git properties of a submitted run (SPEC 4), from a real repository and a real agent: a
remote's credentials are never stored, since every reader of the run sees its properties."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runhistory import Experiment, ScriptRunConfig, Workspace
from runhistory.sdk.script_run import git_properties
from tests.conftest import isolated_settings

pytestmark = pytest.mark.xdist_group("compute")

SECRET = "ghp_s3cr3tT0ken"


def repository(folder: Path, remote: str) -> Path:
    folder.mkdir()
    (folder / "train.py").write_text("print('hi')\n")
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "."],
        ["-c", "user.email=a@b", "-c", "user.name=a", "commit", "-qm", "x"],
        ["remote", "add", "origin", remote],
    ):
        subprocess.run(["git", *command], cwd=folder, check=True)
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    opened = Workspace(
        tmp_path / ".runhistory",
        settings=isolated_settings(agent_idle_seconds=2.0, agent_poll_seconds=0.05),
    )
    yield opened
    opened.close()


def test_a_submitted_run_records_its_remote_without_credentials(
    workspace: Workspace, tmp_path: Path
) -> None:
    folder = repository(tmp_path / "project", f"https://ci-bot:{SECRET}@github.com/org/repo.git")
    run = Experiment(workspace, "git").submit(ScriptRunConfig(folder, "train.py"))
    run.wait_for_completion()
    assert run.get_properties()["git.repository_uri"] == "https://github.com/org/repo.git"
    assert SECRET not in str(run.get_details())


@pytest.mark.parametrize(
    ("remote", "recorded"),
    [
        (f"https://{SECRET}@github.com/org/repo.git", "https://github.com/org/repo.git"),
        (f"http://user:{SECRET}@[::1]:8080/repo", "http://[::1]:8080/repo"),
        (f"ssh://git:{SECRET}@host.example/repo.git", "ssh://git@host.example/repo.git"),
        ("ssh://git@host.example/repo.git", "ssh://git@host.example/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("https://github.com/org/repo.git", "https://github.com/org/repo.git"),
    ],
)
def test_remote_forms_keep_everything_but_credentials(
    tmp_path: Path, remote: str, recorded: str
) -> None:
    folder = repository(tmp_path / "project", remote)
    assert git_properties(folder)["git.repository_uri"] == recorded
