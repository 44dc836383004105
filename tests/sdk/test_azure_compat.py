"""Azure ML v1 notebooks and scripts, with only their imports changed (issue: Azure ML scripts
run unchanged). Each test makes the calls as a notebook or training script makes them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import runhistory
from runhistory import (
    CondaDependencies,
    Environment,
    Experiment,
    Model,
    Run,
    RunConfiguration,
    ScriptRunConfig,
    Workspace,
)
from runhistory.errors import EnvironmentNotSupportedError, InvalidStateError
from tests.conftest import isolated_settings

# files, models, outputs -------------------------------------------------------------------------


def test_register_model_takes_the_path_as_the_sample_spells_it(
    experiment: Experiment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = experiment.start_logging(snapshot_directory=None)
    Path("outputs/model.pkl").write_bytes(b"weights")  # ./outputs exists right after start
    run.upload_file("./outputs/extra.txt", "outputs/model.pkl")
    run.complete()

    model = run.register_model(model_name="ridge", model_path="./outputs/model.pkl")

    assert model.files == ["outputs/model.pkl"]
    assert model.url == f"runhistory://runs/{run.id}/outputs/model.pkl"
    assert "outputs/extra.txt" in run.get_file_names()
    assert run.download_file("./outputs/model.pkl", tmp_path / "m.pkl").read_bytes() == b"weights"
    folder = run.register_model("all-outputs", "./outputs/")
    assert folder.path == "outputs"
    assert Model(experiment.workspace, "ridge").url == model.url


def test_a_name_climbing_out_stays_refused(run: Run, tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(runhistory.RunHistoryError, match=r"'\.\.'"):
        run.upload_file("outputs/../../f.txt", tmp_path / "f.txt")


def test_start_logging_creates_outputs_and_captures_it(
    sqlite_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = Experiment(sqlite_workspace, "sample").start_logging(snapshot_directory=None)

    assert Path("outputs").is_dir()
    Path("outputs/model.pkl").write_bytes(b"m")
    run.complete()
    assert "outputs/model.pkl" in run.get_file_names()


# json metric kinds ------------------------------------------------------------------------------


def test_json_metrics_take_every_shape_the_azure_client_takes(run: Run) -> None:
    # The Azure docs' own residuals example: as many bin edges as bin counts.
    residuals = {
        "schema_type": "residuals",
        "schema_version": "1.0.0",
        "data": {"bin_edges": [50, 100, 200, 300, 350], "bin_counts": [0.88, 20, 30, 50.99, 75]},
    }
    run.log_residuals("residuals", residuals)
    run.log_confusion_matrix("bare", {"class_labels": ["a", "b"], "matrix": [[1, 2], [3, 4]]})
    run.log_confusion_matrix("string", json.dumps({"data": {"class_labels": [], "matrix": []}}))
    run.log_predictions("list", [1, 2, 3])

    metrics = run.get_metrics(populate=True)
    assert metrics["residuals"]["data"] == residuals["data"]
    assert metrics["bare"] == {
        "schema_type": "confusion_matrix",
        "schema_version": "1.0.0",
        "data": {"class_labels": ["a", "b"], "matrix": [[1, 2], [3, 4]]},
    }
    assert metrics["string"]["data"] == {"class_labels": [], "matrix": []}
    assert metrics["list"]["data"] == [1, 2, 3]


def test_images_and_json_metrics_are_named_by_metric_and_step(run: Run, tmp_path: Path) -> None:
    from tests.sdk.conftest import PNG

    image = tmp_path / "chart.png"
    image.write_bytes(PNG)
    run.log_image("chart", path=image)
    run.log_image("chart", path=image)
    run.log_image("a b", path=image)
    run.log_confusion_matrix("cm", {"class_labels": ["x"], "matrix": [[1]]})

    names = [n for n in run.get_file_names() if n.startswith(("images/", "metrics/"))]
    assert "images/chart_0.png" in names
    assert "images/chart_1.png" in names
    assert "metrics/cm_0.json" in names
    assert [n for n in names if n.startswith("images/a_b-")] == [
        n for n in names if n.startswith("images/a_b-") and n.endswith("_0.png")
    ]
    assert run.get_metrics()["chart"] == [
        f"runhistory://runs/{run.id}/images/chart_0.png",
        f"runhistory://runs/{run.id}/images/chart_1.png",
    ]


# workspace config ---------------------------------------------------------------------------------

AZURE_CONFIG = {
    "subscription_id": "0000-1111",
    "resource_group": "ml-rg",
    "workspace_name": "team-ws",
}


def test_from_config_beside_an_azure_config_keeps_the_source_folder_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNHISTORY_WORKSPACE", raising=False)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "config.json").write_text(json.dumps(AZURE_CONFIG))
    (notebooks / "train.py").write_text("print(1)\n")
    monkeypatch.chdir(notebooks)

    ws = Workspace.from_config()
    run = Experiment(ws, "clean").start_logging()  # snapshots "."
    run.complete()
    second = Experiment(ws, "clean").start_logging()
    second.complete()

    assert Path(ws.location) == notebooks / ".runhistory"
    assert not (notebooks / "runhistory.db").exists()
    assert not (notebooks / "artifacts").exists()
    assert (ws.name, ws.subscription_id, ws.resource_group) == ("team-ws", "0000-1111", "ml-rg")
    assert ws.get_details()["subscriptionId"] == "0000-1111"
    with zipfile.ZipFile(second.restore_snapshot(path=tmp_path / "snap.zip")) as archive:
        assert sorted(archive.namelist()) == ["config.json", "train.py"]
    ws.close()


def test_no_snapshot_holds_a_workspace_folder_whatever_its_name(
    tmp_path: Path,
) -> None:
    source = tmp_path / "project"
    (source / "ws").mkdir(parents=True)
    (source / "train.py").write_text("print(1)\n")
    ws = Workspace(source / "ws", settings=isolated_settings())
    run = Experiment(ws, "inside").start_logging(snapshot_directory=None, outputs=None)
    run.upload_file("outputs/x.txt", source / "train.py")
    run.complete()

    from runhistory.snapshot import snapshot_files

    assert [name for name, _ in snapshot_files(source)] == ["train.py"]
    ws.close()


def test_a_local_workspace_has_local_azure_details(sqlite_workspace: Workspace) -> None:
    details = sqlite_workspace.get_details()

    assert sqlite_workspace.subscription_id == "local"
    assert sqlite_workspace.resource_group == "local"
    assert details["location"] == sqlite_workspace.location
    assert runhistory.__version__ == runhistory.VERSION


# run types and details ---------------------------------------------------------------------------


def test_get_details_has_the_azure_keys(run: Run) -> None:
    details = run.get_details()

    assert details["submittedBy"]
    assert details["runDefinition"] == {}
    assert details["inputDatasets"] == []
    assert details["outputDatasets"] == []
    assert run.child_run().get_details()["submittedBy"] == details["submittedBy"]
    with pytest.raises(InvalidStateError, match="not submitted"):
        run.get_environment()


# environments -------------------------------------------------------------------------------------


def test_run_config_carries_target_and_environment(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("print(1)\n")
    environment = Environment("sklearn")
    environment.python.conda_dependencies = CondaDependencies.create(
        conda_packages=["scikit-learn=1.3"], pip_packages=["joblib"], python_version="3.11"
    )
    src = ScriptRunConfig(source_directory=tmp_path, script="train.py")
    src.run_config.environment = environment
    src.run_config.target = "local"

    assert src.environment is environment
    assert src.compute_target == "local"
    assert src.to_dict()["environment"]["pip_requirements"] == ["joblib", "scikit-learn==1.3.*"]
    assert isinstance(RunConfiguration().environment, Environment)


def test_from_conda_specification_reads_the_yaml(tmp_path: Path) -> None:
    spec = tmp_path / "env.yml"
    spec.write_text(
        "name: train\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n  - numpy=1.26\n"
        "  - pip\n  - pip:\n    - joblib==1.3.2\n"
    )

    environment = Environment.from_conda_specification("train", spec)
    deps = environment.python.conda_dependencies
    assert deps is not None
    assert list(deps.conda_packages) == ["numpy=1.26", "pip"]
    assert environment.pip_requirements() == ["joblib==1.3.2", "numpy==1.26.*"]
    saved = CondaDependencies(deps.save(tmp_path / "again.yml"))
    assert list(saved.pip_packages) == ["joblib==1.3.2"]


def test_what_cannot_run_here_is_refused_at_submit(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "train.py").write_text("print(1)\n")
    experiment = Experiment(sqlite_workspace, "envs")
    gpu = Environment("gpu")
    gpu.python.conda_dependencies = CondaDependencies.create(conda_packages=["cudatoolkit=11.8"])
    docker = Environment("docker")
    docker.docker.enabled = True
    docker.docker.base_image = "mcr.microsoft.com/azureml/base:latest"

    for environment, reason in (
        (gpu, "conda-only packages \\['cudatoolkit=11.8'\\]"),
        (docker, "docker"),
    ):
        config = ScriptRunConfig(tmp_path, script="train.py", environment=environment)
        with pytest.raises(EnvironmentNotSupportedError, match=reason):
            experiment.submit(config)
    assert list(experiment.get_runs()) == []


# notebooks ----------------------------------------------------------------------------------------


def test_a_notebook_run_records_the_notebook_and_no_arguments(tmp_path: Path) -> None:
    """The kernel is started as ``python .../ipykernel_launcher.py -f kernel.json``; Jupyter Server
    names the notebook in JPY_SESSION_NAME."""
    launcher = tmp_path / "ipykernel_launcher.py"
    launcher.write_text(
        "from runhistory import Experiment, Workspace\n"
        "import sys\n"
        "run = Experiment(Workspace(sys.argv[-1]), 'nb').start_logging(snapshot_directory=None, outputs=None)\n"
        "run.complete()\n"
        "print(run.id)\n"
    )
    ws = tmp_path / "ws"
    env = {**os.environ, "JPY_SESSION_NAME": str(tmp_path / "Train model.ipynb")}
    result = subprocess.run(
        [sys.executable, str(launcher), "-f", str(tmp_path / "kernel-1.json"), str(ws)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    workspace = Workspace(ws, settings=isolated_settings())
    details = Run.get(workspace, result.stdout.strip()).get_details()

    assert details["scriptName"] == "Train model.ipynb"
    assert details["arguments"] == []
    workspace.close()


# unknown keyword arguments ------------------------------------------------------------------------


def test_a_misspelt_keyword_raises_type_error(experiment: Experiment) -> None:
    with pytest.raises(TypeError, match="display_nam"):
        experiment.start_logging(display_nam="x", snapshot_directory=None)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="typo"):
        Experiment(experiment.workspace, "other", typo=1)  # type: ignore[call-arg]
    run = experiment.start_logging(snapshot_directory=None, outputs=None)
    with pytest.raises(TypeError, match="outptus"):
        run.download_files(outptus="x")  # type: ignore[call-arg]
    assert [r.id for r in experiment.get_runs()] == [run.id]


def test_documented_azure_arguments_are_accepted_and_ignored(
    experiment: Experiment, tmp_path: Path
) -> None:
    run = experiment.start_logging(snapshot_directory=None, outputs=None)
    (tmp_path / "m.pkl").write_bytes(b"m")
    run.upload_file("outputs/m.pkl", tmp_path / "m.pkl", datastore_name="workspaceblobstore")
    run.complete()
    model = run.register_model("m", "outputs/m.pkl", model_framework="ScikitLearn", datasets=[])

    assert Model(experiment.workspace, id="m:1").url == model.url
    assert [m.name for m in Model.list(experiment.workspace, run_id=run.id, expand=False)] == ["m"]
    assert Experiment.list(experiment.workspace, experiment_name=experiment.name, view_type="All")
    assert model.download(tmp_path / "out", exists_ok=True).endswith("m.pkl")


# git state of interactive runs --------------------------------------------------------------------


def test_an_interactive_run_in_a_clone_records_its_git_state(
    sqlite_workspace: Workspace, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=clone, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x")
    git("remote", "add", "origin", "https://ci:secret@example.com/org/repo.git")
    (clone / "train.py").write_text("print(1)\n")

    run = Experiment(sqlite_workspace, "git").start_logging(snapshot_directory=clone, outputs=None)

    properties = run.get_properties()
    assert len(properties["git.commit"]) == 40
    assert properties["git.branch"] == "main"
    assert properties["git.dirty"] == "false"  # untracked files do not make a clone dirty
    assert properties["git.repository_uri"] == "https://example.com/org/repo.git"
