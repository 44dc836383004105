"""Run lifecycle, hierarchy, details, tags and properties (SPEC 2.2, 2.3)."""

from __future__ import annotations

import datetime
import sys

import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.errors import InvalidStateError, PropertyConflictError, RunNotFoundError


def test_start_logging_gives_a_running_run_with_a_number(experiment: Experiment) -> None:
    first = experiment.start_logging(snapshot_directory=None, display_name="first", tags={"a": 1})
    second = experiment.start_logging(snapshot_directory=None, description="desc")
    assert first.get_status() == "Running"
    assert (first.number, second.number) == (1, 2)
    assert first.display_name == "first"
    assert first.get_tags() == {"a": "1"}
    assert second.description == "desc"
    assert first.id != second.id and first.id.startswith("tests_")


def test_complete_fail_cancel_set_end_time_and_status(experiment: Experiment) -> None:
    done = experiment.start_logging(snapshot_directory=None)
    done.complete()
    failed = experiment.start_logging(snapshot_directory=None)
    failed.fail(error_details="diverged", error_code="NaNLoss")
    canceled = experiment.start_logging(snapshot_directory=None)
    canceled.cancel()
    assert [r.get_status() for r in (done, failed, canceled)] == ["Completed", "Failed", "Canceled"]
    details = failed.get_details()
    assert details["error"] == {"message": "diverged", "code": "NaNLoss"}
    assert failed.get_detailed_status() == {"status": "Failed", "details": "diverged"}
    assert details["endTimeUtc"] >= details["startTimeUtc"]


def test_complete_twice_is_fine_but_a_finished_run_keeps_its_status(run: Run) -> None:
    run.complete()
    run.complete()
    with pytest.raises(InvalidStateError, match="already Completed"):
        run.fail("too late")
    assert run.get_status() == "Completed"


def test_with_block_completes(experiment: Experiment) -> None:
    with experiment.start_logging(snapshot_directory=None) as run:
        run.log("x", 1)
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"x": 1}


def test_with_block_fails_with_the_exception(experiment: Experiment) -> None:
    with pytest.raises(ZeroDivisionError), experiment.start_logging(snapshot_directory=None) as run:
        run.log("x", 1)
        1 / 0  # noqa: B018
    error = run.get_details()["error"]
    assert run.get_status() == "Failed"
    assert error["type"] == "ZeroDivisionError"
    assert error["message"] == "division by zero"
    assert "1 / 0" in error["traceback"]
    assert run.get_metrics() == {"x": 1}


@pytest.mark.parametrize(("code", "status"), [(0, "Completed"), (None, "Completed"), (2, "Failed")])
def test_with_block_and_system_exit(experiment: Experiment, code: int | None, status: str) -> None:
    with pytest.raises(SystemExit), experiment.start_logging(snapshot_directory=None) as run:
        sys.exit(code)
    assert run.get_status() == status


def test_with_block_after_explicit_complete_keeps_it(experiment: Experiment) -> None:
    with experiment.start_logging(snapshot_directory=None) as run:
        run.complete()
    assert run.get_status() == "Completed"


def test_child_runs_and_hierarchy(run: Run) -> None:
    child = run.child_run(name="fold-1")
    named = run.child_run(run_id=f"{run.id}_custom")
    assert child.parent == run and child.display_name == "fold-1"
    assert named.id == f"{run.id}_custom"
    grandchild = child.child_run()
    assert {r.id for r in run.get_children()} == {child.id, named.id}
    assert {r.id for r in run.get_children(recursive=True)} == {child.id, named.id, grandchild.id}
    assert child.get_details()["parentRunId"] == run.id
    assert child.get_status() == "Running"


def test_create_children_by_count_and_by_tag_values(run: Run) -> None:
    assert len(run.create_children(count=3)) == 3
    tagged = run.create_children(tag_key="alpha", tag_values=[0.1, 1.0])
    assert [c.get_tags() for c in tagged] == [{"alpha": "0.1"}, {"alpha": "1.0"}]
    assert [c.id for c in run.get_children(tags={"alpha": "1.0"})] == [tagged[1].id]
    assert len(list(run.get_children(tags="alpha"))) == 2


def test_get_children_filters_by_status(run: Run) -> None:
    done, running = run.child_run(), run.child_run()
    done.complete()
    assert [c.id for c in run.get_children(status="Completed")] == [done.id]
    assert [c.id for c in run.get_children(status="Running")] == [running.id]


def test_experiment_runs_exclude_children_unless_asked(experiment: Experiment, run: Run) -> None:
    child = run.child_run()
    assert [r.id for r in experiment.get_runs()] == [run.id]
    assert {r.id for r in experiment.get_runs(include_children=True)} == {run.id, child.id}


def test_run_by_id_and_get(workspace: Workspace, experiment: Experiment, run: Run) -> None:
    assert Run(experiment, run.id) == run
    assert Run.get(workspace, run.id).experiment == experiment
    with pytest.raises(RunNotFoundError, match="'nope'"):
        Run.get(workspace, "nope")
    other = Experiment(workspace, "other")
    with pytest.raises(RunNotFoundError, match="belongs to experiment 'tests'"):
        Run(other, run.id)


def test_run_list_filters(experiment: Experiment) -> None:
    a = experiment.start_logging(snapshot_directory=None, tags={"team": "x"})
    b = experiment.start_logging(snapshot_directory=None)
    b.add_properties({"best": "yes"})
    a.complete()
    assert [r.id for r in Run.list(experiment)] == [b.id, a.id]
    assert [r.id for r in Run.list(experiment, status="Completed")] == [a.id]
    assert [r.id for r in Run.list(experiment, tags={"team": "x"})] == [a.id]
    assert [r.id for r in Run.list(experiment, properties="best")] == [b.id]


def test_tags_are_mutable_and_none_means_no_value(run: Run) -> None:
    run.tag("stage", "dev")
    run.tag("flag")
    run.set_tags({"stage": "prod", "n": 3})
    assert run.get_tags() == {"stage": "prod", "flag": None, "n": "3"}
    run.remove_tags(["flag", "n"])
    assert run.tags == {"stage": "prod"}


def test_properties_are_write_once(run: Run) -> None:
    run.add_properties({"seed": 1, "data": "v1"})
    run.add_properties({"seed": "1"})
    with pytest.raises(PropertyConflictError, match=r"'seed'.*'1'.*'2'"):
        run.add_properties({"seed": 2, "new": "x"})
    assert run.get_properties() == {"seed": "1", "data": "v1"}


def test_display_name_and_description_are_settable(experiment: Experiment, run: Run) -> None:
    run.display_name = "renamed"
    run.description = "what this run tried"
    again = Run(experiment, run.id)
    assert (again.display_name, again.description) == ("renamed", "what this run tried")


def test_details_carry_every_documented_field(run: Run) -> None:
    run.tag("t", "v")
    run.complete()
    details = run.get_details()
    for key in (
        "runId", "runNumber", "experiment", "displayName", "status", "target", "scriptName",
        "arguments", "createdTimeUtc", "startTimeUtc", "endTimeUtc", "duration", "parentRunId",
        "tags", "properties", "error", "logFiles",
    ):  # fmt: skip
        assert key in details, key
    assert details["runId"] == run.id and details["experiment"] == "tests"
    assert details["status"] == "Completed" and details["tags"] == {"t": "v"}
    started = datetime.datetime.fromisoformat(details["startTimeUtc"].replace("Z", "+00:00"))
    assert started.tzinfo is not None
    assert details["duration"] >= 0


def test_wait_for_completion_of_a_finished_run(
    run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    run.complete()
    details = run.wait_for_completion(show_output=True)
    assert details["status"] == "Completed"
    output = capsys.readouterr().out
    assert run.id in output and "Execution Summary" in output


def test_wait_for_completion_raises_for_a_failed_run(run: Run) -> None:
    from runhistory.errors import RunFailedError

    run.fail("boom")
    with pytest.raises(RunFailedError, match="boom"):
        run.wait_for_completion()
    assert run.wait_for_completion(raise_on_error=False)["status"] == "Failed"


def test_portal_url_names_the_run(run: Run) -> None:
    assert run.get_portal_url().endswith(f"/experiments/tests/runs/{run.id}")


def test_start_of_a_not_started_run(run: Run) -> None:
    with pytest.raises(InvalidStateError, match="only a run not started"):
        run.start()
