"""``runhistory.sdk.references``: finding runs and experiments by the names people give them."""

from __future__ import annotations

import pytest

from runhistory import Experiment, Workspace
from runhistory.errors import ExperimentNotFoundError, InvalidValueError, RunNotFoundError
from runhistory.sdk.references import latest_run, resolve_run
from tests.sdk.conftest import Populated


def test_resolve_run_by_every_kind_of_reference(populated: Populated) -> None:
    workspace = populated.workspace
    tuned = populated.tuned.id

    assert resolve_run(workspace, tuned) == populated.tuned
    assert resolve_run(workspace, "sweep:3") == populated.tuned
    assert resolve_run(workspace, f"  {tuned[:-1]} ") == populated.tuned
    # A run id that is a prefix of its children's ids is still that run.
    assert resolve_run(workspace, populated.baseline.id) == populated.baseline


def test_resolve_run_errors(populated: Populated) -> None:
    workspace = populated.workspace

    with pytest.raises(InvalidValueError, match="is empty"):
        resolve_run(workspace, " ")
    with pytest.raises(
        ExperimentNotFoundError, match=r"no experiment 'sweeep'.*did you mean sweep"
    ):
        resolve_run(workspace, "sweeep:1")
    with pytest.raises(RunNotFoundError, match="no run 'nothing-like-it'"):
        resolve_run(workspace, "nothing-like-it")


def test_a_child_run_given_its_own_id_with_a_colon(sqlite_workspace: Workspace) -> None:
    parent = Experiment(sqlite_workspace, "exp").start_logging(
        snapshot_directory=None, outputs=None
    )
    child = parent.child_run(run_id="exp:7")

    assert resolve_run(sqlite_workspace, "exp:7") == child
    assert resolve_run(sqlite_workspace, "exp:1") == parent


def test_latest_run_of_an_empty_experiment(sqlite_workspace: Workspace) -> None:
    Experiment(sqlite_workspace, "empty")

    with pytest.raises(RunNotFoundError, match="no runs in experiment 'empty' yet"):
        latest_run(sqlite_workspace, "empty")
