"""Experiments, finding runs, and finding the workspace, on every backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runhistory import Experiment, Run, RunStatus, Settings, Workspace
from runhistory.errors import InvalidValueError, WorkspaceNotFoundError


def ids(runs: object) -> list[str]:
    return [run.id for run in runs]  # type: ignore[attr-defined]


# experiments ------------------------------------------------------------------------------------


def test_experiment_is_get_or_create(workspace: Workspace) -> None:
    first = Experiment(workspace, "sweep")
    second = Experiment(workspace, "sweep")

    assert first.id == second.id
    assert first == second
    assert first.name == "sweep"
    assert [e.name for e in Experiment.list(workspace)] == ["sweep"]


@pytest.mark.parametrize("name", ["a", "sweep-2.final_v1", "9lives", "x" * 255])
def test_experiment_names_that_are_allowed(workspace: Workspace, name: str) -> None:
    assert Experiment(workspace, name).name == name


@pytest.mark.parametrize(
    "name", ["", "-leading-dash", "_leading", ".hidden", "with space", "a/b", "é", "x" * 256]
)
def test_experiment_names_that_are_refused(workspace: Workspace, name: str) -> None:
    with pytest.raises(InvalidValueError, match="experiment name"):
        Experiment(workspace, name)

    assert Experiment.list(workspace, view_type="all") == []


def test_list_by_view_type_follows_archive_and_reactivate(workspace: Workspace) -> None:
    kept = Experiment(workspace, "kept")
    old = Experiment(workspace, "old")

    old.archive()

    assert [e.name for e in Experiment.list(workspace)] == ["kept"]
    assert [e.name for e in Experiment.list(workspace, view_type="active")] == ["kept"]
    assert [e.name for e in Experiment.list(workspace, view_type="archived")] == ["old"]
    assert sorted(e.name for e in Experiment.list(workspace, view_type="all")) == ["kept", "old"]
    assert old.archived and not kept.archived

    old.reactivate()

    assert sorted(e.name for e in Experiment.list(workspace)) == ["kept", "old"]
    assert Experiment.list(workspace, view_type="archived") == []


def test_experiment_tags(experiment: Experiment) -> None:
    experiment.tag("owner", "ana")
    experiment.tag("flagged")
    experiment.tag("owner", "bo")

    assert experiment.tags == {"owner": "bo", "flagged": None}
    again = Experiment(experiment.workspace, experiment.name)
    assert again.tags == {"owner": "bo", "flagged": None}


def test_workspace_experiments_is_a_dict_by_name(workspace: Workspace) -> None:
    first = Experiment(workspace, "first")
    Experiment(workspace, "second")
    Experiment(workspace, "gone").archive()

    experiments = workspace.experiments

    assert sorted(experiments) == ["first", "second"]
    assert experiments["first"].id == first.id
    assert isinstance(experiments["second"], Experiment)


def test_html_of_experiment_and_run_names_them(experiment: Experiment) -> None:
    run = experiment.start_logging(snapshot_directory=None, outputs=None)

    assert experiment.name in experiment._repr_html_()
    run_html = run._repr_html_()
    assert experiment.name in run_html
    assert run.id in run_html
    assert "Running" in run_html


# finding runs -----------------------------------------------------------------------------------


def start(experiment: Experiment, **kwargs: object) -> Run:
    return experiment.start_logging(snapshot_directory=None, outputs=None, **kwargs)  # type: ignore[arg-type]


def test_get_runs_is_newest_first(experiment: Experiment) -> None:
    runs = [start(experiment) for _ in range(3)]

    assert ids(experiment.get_runs()) == ids(reversed(runs))
    assert [r.number for r in experiment.get_runs()] == [3, 2, 1]


def test_get_runs_only_of_this_experiment(workspace: Workspace) -> None:
    mine = start(Experiment(workspace, "mine"))
    start(Experiment(workspace, "theirs"))

    assert ids(Experiment(workspace, "mine").get_runs()) == [mine.id]


def test_get_runs_by_type(experiment: Experiment) -> None:
    interactive = start(experiment)
    submitted = experiment.workspace.store.create_run(
        experiment.id, status=RunStatus.QUEUED, run_type="scriptrun"
    )

    assert ids(experiment.get_runs(type="interactive")) == [interactive.id]
    assert ids(experiment.get_runs(type="azureml.scriptrun")) == [submitted.id]
    assert ids(experiment.get_runs(type="scriptrun")) == [submitted.id]
    assert ids(experiment.get_runs(type="no.such.type")) == []


def test_get_runs_by_tags(experiment: Experiment) -> None:
    both = start(experiment, tags={"lr": "0.1", "team": "vision"})
    one = start(experiment, tags={"lr": "0.2"})
    flag = start(experiment)
    flag.tag("lr")
    start(experiment)

    assert ids(experiment.get_runs(tags="lr")) == [flag.id, one.id, both.id]
    assert ids(experiment.get_runs(tags="team")) == [both.id]
    assert ids(experiment.get_runs(tags={"lr": "0.2"})) == [one.id]
    assert ids(experiment.get_runs(tags={"lr": 0.1, "team": "vision"})) == [both.id]
    assert ids(experiment.get_runs(tags={"lr": "0.1", "team": "audio"})) == []


def test_get_runs_by_properties(experiment: Experiment) -> None:
    first = start(experiment)
    first.add_properties({"dataset": "v1", "seed": 1})
    second = start(experiment)
    second.add_properties({"dataset": "v2"})
    start(experiment)

    assert ids(experiment.get_runs(properties="dataset")) == [second.id, first.id]
    assert ids(experiment.get_runs(properties="seed")) == [first.id]
    assert ids(experiment.get_runs(properties={"dataset": "v2"})) == [second.id]
    assert ids(experiment.get_runs(properties={"dataset": "v1", "seed": 1})) == [first.id]
    assert ids(experiment.get_runs(properties={"dataset": "v1", "seed": 2})) == []


def test_get_runs_includes_children_only_when_asked(experiment: Experiment) -> None:
    parent = start(experiment)
    child = parent.child_run("child")

    assert ids(experiment.get_runs()) == [parent.id]
    assert set(ids(experiment.get_runs(include_children=True))) == {parent.id, child.id}
    assert child.parent is not None and child.parent.id == parent.id


def test_run_list_by_status(experiment: Experiment) -> None:
    done = start(experiment)
    done.complete()
    failed = start(experiment)
    failed.fail("boom")
    running = start(experiment)

    assert ids(Run.list(experiment, status="Completed")) == [done.id]
    assert ids(Run.list(experiment, status=RunStatus.FAILED)) == [failed.id]
    assert ids(Run.list(experiment, status="Running")) == [running.id]
    assert ids(Run.list(experiment)) == [running.id, failed.id, done.id]
    with pytest.raises(InvalidValueError, match="Finished"):
        Run.list(experiment, status="Finished")


def test_run_get_finds_a_run_by_id(experiment: Experiment) -> None:
    run = start(experiment, display_name="first try")

    found = Run.get(experiment.workspace, run.id)

    assert found.id == run.id
    assert found.experiment.name == experiment.name
    assert found.display_name == "first try"


# finding the workspace --------------------------------------------------------------------------


def test_from_config_finds_the_config_from_a_nested_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    elsewhere = tmp_path / "kept-elsewhere"
    (project / ".runhistory").mkdir(parents=True)
    (project / ".runhistory" / "config.json").write_text(json.dumps({"location": str(elsewhere)}))
    nested = project / "src" / "deep"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)

    workspace = Workspace.from_config()
    try:
        assert Path(workspace.location) == elsewhere.resolve()
        Experiment(workspace, "found")
    finally:
        workspace.close()

    reopened = Workspace(elsewhere)
    try:
        assert [e.name for e in Experiment.list(reopened)] == ["found"]
    finally:
        reopened.close()


def test_from_config_with_a_path_argument(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.json").write_text(json.dumps({"location": str(tmp_path / "ws")}))
    nested = project / "a" / "b"
    nested.mkdir(parents=True)

    workspace = Workspace.from_config(nested)

    assert Path(workspace.location) == (tmp_path / "ws").resolve()
    workspace.close()


def test_from_config_location_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / ".runhistory").mkdir()
    (tmp_path / ".runhistory" / "config.json").write_text(json.dumps({"location": "store"}))

    workspace = Workspace.from_config(tmp_path)

    assert Path(workspace.location) == (tmp_path / ".runhistory" / "store").resolve()
    workspace.close()


def test_from_config_finds_a_bare_workspace_folder_walking_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".runhistory").mkdir()
    nested = tmp_path / "a" / "b" / "c"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)

    workspace = Workspace.from_config()

    assert Path(workspace.location) == (tmp_path / ".runhistory").resolve()
    workspace.close()


def test_from_config_without_any_config_says_what_to_do(tmp_path: Path) -> None:
    nested = tmp_path / "nothing" / "here"
    nested.mkdir(parents=True)
    if any((p / ".runhistory").exists() or (p / "config.json").exists() for p in tmp_path.parents):
        pytest.skip("a folder above the test's temporary folder holds a workspace config")

    with pytest.raises(WorkspaceNotFoundError, match="runhistory init"):
        Workspace.from_config(nested)


def test_workspace_without_location_uses_the_settings(tmp_path: Path) -> None:
    workspace = Workspace(settings=Settings(workspace=str(tmp_path / "from-settings")))
    try:
        assert Path(workspace.location) == (tmp_path / "from-settings").resolve()
        Experiment(workspace, "here")
    finally:
        workspace.close()

    assert (tmp_path / "from-settings").is_dir()


def test_workspace_without_location_walks_up_to_a_runhistory_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".runhistory").mkdir()
    nested = tmp_path / "sub"
    nested.mkdir()
    monkeypatch.chdir(nested)

    workspace = Workspace(settings=Settings())

    assert Path(workspace.location) == (tmp_path / ".runhistory").resolve()
    workspace.close()


def test_reactivate_under_another_name_is_refused(experiment: Experiment) -> None:
    from runhistory.errors import InvalidValueError

    experiment.archive()
    with pytest.raises(InvalidValueError, match="keep their name"):
        experiment.reactivate(new_name="renamed")
    assert experiment.archived
    experiment.reactivate()
    assert not experiment.archived
