"""``runhistory.sdk.lookup``, the SDK side of the command line, called directly."""

from __future__ import annotations

import pytest

from runhistory import Experiment, Workspace
from runhistory.errors import ExperimentNotFoundError, InvalidValueError, RunNotFoundError
from runhistory.sdk import lookup
from tests.cli.conftest import Populated


def test_resolve_run_by_every_kind_of_reference(populated: Populated) -> None:
    workspace = populated.workspace
    tuned = populated.tuned.id

    assert lookup.resolve_run(workspace, tuned) == populated.tuned
    assert lookup.resolve_run(workspace, "sweep:3") == populated.tuned
    assert lookup.resolve_run(workspace, f"  {tuned[:-1]} ") == populated.tuned
    # A run id that is a prefix of its children's ids is still that run.
    assert lookup.resolve_run(workspace, populated.baseline.id) == populated.baseline


def test_resolve_run_errors(populated: Populated) -> None:
    workspace = populated.workspace

    with pytest.raises(InvalidValueError, match="is empty"):
        lookup.resolve_run(workspace, " ")
    with pytest.raises(
        ExperimentNotFoundError, match=r"no experiment 'sweeep'.*did you mean sweep"
    ):
        lookup.resolve_run(workspace, "sweeep:1")
    with pytest.raises(RunNotFoundError, match="no run 'nothing-like-it'"):
        lookup.resolve_run(workspace, "nothing-like-it")


def test_a_child_run_given_its_own_id_with_a_colon(sqlite_workspace: Workspace) -> None:
    parent = Experiment(sqlite_workspace, "exp").start_logging(
        snapshot_directory=None, outputs=None
    )
    child = parent.child_run(run_id="exp:7")

    assert lookup.resolve_run(sqlite_workspace, "exp:7") == child
    assert lookup.resolve_run(sqlite_workspace, "exp:1") == parent


def test_sort_runs_puts_missing_values_last_both_ways(populated: Populated) -> None:
    records = lookup.list_runs(populated.workspace, experiment="sweep")

    ascending = [r.number for r in lookup.sort_runs(records, "metric:acc asc")]
    descending = [r.number for r in lookup.sort_runs(records, "metric:acc DESC")]

    assert ascending[:2] == [1, 3] and descending[:2] == [3, 1]
    assert set(ascending[2:]) == set(descending[2:]) == {2, 4}  # NaN and missing


def test_filter_runs_compares_numbers_and_text(populated: Populated) -> None:
    records = lookup.list_runs(populated.workspace)

    def numbers(*conditions: str) -> list[str]:
        return [f"{r.experiment_name}:{r.number}" for r in lookup.filter_runs(records, conditions)]

    assert numbers("tag:model = ridge") == ["sweep:1"]
    assert numbers("tag:model != ridge") == ["sweep:3"]
    assert numbers("experiment=other") == ["other:1"]
    assert numbers("metric:note = 'first try'") == ["sweep:1"]
    assert numbers("metric:loss > 0.2", "metric:loss < 1") == ["sweep:2", "sweep:1"]
    assert numbers("metric:note > 1") == []  # text is never ordered against a number
    assert numbers("property:dataset = v1", "number >= 3") == ["sweep:3"]


def test_argument_map() -> None:
    assert lookup._argument_map(["--lr", "0.1", "--fast", "-n", "-5", "x.csv", "--k=v"]) == {
        "--lr": "0.1",
        "--fast": True,
        "-n": "-5",
        "[0]": "x.csv",
        "--k": "v",
    }


def test_scalar_metric_names_with_patterns(populated: Populated) -> None:
    records = lookup.list_runs(populated.workspace)

    assert lookup.scalar_metric_names(records) == ["acc", "loss", "note"]
    assert lookup.scalar_metric_names(records, ["no*", "a*", "acc"]) == ["note", "acc"]


def test_latest_run_of_an_empty_experiment(sqlite_workspace: Workspace) -> None:
    Experiment(sqlite_workspace, "empty")

    with pytest.raises(RunNotFoundError, match="no runs in experiment 'empty' yet"):
        lookup.latest_run(sqlite_workspace, "empty")
