"""Registered models: versions, folders, listing and download, on every backend."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from runhistory import Experiment, Model, Run, Workspace
from runhistory.errors import ArtifactNotFoundError, ModelNotFoundError, UnsafeFileNameError


@pytest.fixture
def trained(run: Run) -> Run:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights v1"))
    run.upload_file("outputs/model/encoder.bin", io.BytesIO(b"encoder"))
    run.upload_file("outputs/model/heads/classifier.bin", io.BytesIO(b"classifier"))
    run.upload_file("outputs/model_card.md", io.BytesIO(b"# card"))
    return run


def test_register_model_numbers_versions(trained: Run) -> None:
    first = trained.register_model("ridge", "outputs/model.pkl")
    second = trained.register_model("ridge", "outputs/model.pkl")

    assert (first.name, first.version) == ("ridge", 1)
    assert (second.name, second.version) == ("ridge", 2)
    assert first.run_id == trained.id
    assert first.files == ["outputs/model.pkl"]


def test_versions_are_counted_per_name(trained: Run) -> None:
    trained.register_model("ridge", "outputs/model.pkl")

    other = trained.register_model("lasso", "outputs/model.pkl")

    assert other.version == 1


def test_register_a_folder_prefix_takes_every_file_under_it(trained: Run) -> None:
    model = trained.register_model("net", "outputs/model")

    assert sorted(model.files) == [
        "outputs/model/encoder.bin",
        "outputs/model/heads/classifier.bin",
    ]


def test_register_model_keeps_tags_properties_and_description(trained: Run) -> None:
    trained.register_model(
        "ridge",
        "outputs/model.pkl",
        tags={"stage": "dev"},
        properties={"auc": 0.91},
        description="first model",
    )

    model = Model(trained.experiment.workspace, "ridge")

    assert model.tags == {"stage": "dev"}
    assert model.properties == {"auc": "0.91"}
    assert model.description == "first model"


def test_model_is_the_latest_version_unless_one_is_named(trained: Run) -> None:
    workspace = trained.experiment.workspace
    trained.register_model("ridge", "outputs/model.pkl")
    trained.register_model("ridge", "outputs/model/encoder.bin")

    latest = Model(workspace, "ridge")
    first = Model(workspace, "ridge", version=1)

    assert latest.version == 2
    assert latest.path == "outputs/model/encoder.bin"
    assert first.version == 1
    assert first.path == "outputs/model.pkl"


def test_model_list(trained: Run) -> None:
    workspace = trained.experiment.workspace
    trained.register_model("ridge", "outputs/model.pkl")
    trained.register_model("ridge", "outputs/model.pkl")
    trained.register_model("net", "outputs/model")

    listed = [(m.name, m.version) for m in Model.list(workspace)]

    assert sorted(listed) == [("net", 1), ("ridge", 1), ("ridge", 2)]
    assert [(m.name, m.version) for m in Model.list(workspace, name="ridge")] == [
        ("ridge", 2),
        ("ridge", 1),
    ]
    assert sorted((m.name, m.version) for m in Model.list(workspace, latest=True)) == [
        ("net", 1),
        ("ridge", 2),
    ]


def test_models_of_runs_of_other_experiments_are_listed_too(
    workspace: Workspace, trained: Run
) -> None:
    other = Experiment(workspace, "other").start_logging(snapshot_directory=None, outputs=None)
    other.upload_file("outputs/tree.json", io.BytesIO(b"{}"))
    trained.register_model("ridge", "outputs/model.pkl")
    other.register_model("tree", "outputs/tree.json")

    assert sorted(m.name for m in Model.list(workspace)) == ["ridge", "tree"]
    assert Model(workspace, "tree").run_id == other.id


def test_download_a_file_model(trained: Run, tmp_path: Path) -> None:
    trained.register_model("ridge", "outputs/model.pkl")

    path = Model(trained.experiment.workspace, "ridge").download(tmp_path / "target")

    assert Path(path) == tmp_path / "target" / "model.pkl"
    assert Path(path).read_bytes() == b"weights v1"


def test_download_a_folder_model(trained: Run, tmp_path: Path) -> None:
    trained.register_model("net", "outputs/model")

    path = Model(trained.experiment.workspace, "net").download(tmp_path / "target")

    assert Path(path) == tmp_path / "target" / "model"
    written = {
        p.relative_to(tmp_path / "target").as_posix(): p.read_bytes()
        for p in (tmp_path / "target").rglob("*")
        if p.is_file()
    }
    assert written == {
        "model/encoder.bin": b"encoder",
        "model/heads/classifier.bin": b"classifier",
    }


def test_download_does_not_overwrite_unless_asked(trained: Run, tmp_path: Path) -> None:
    trained.register_model("ridge", "outputs/model.pkl")
    (tmp_path / "model.pkl").write_bytes(b"mine")
    model = Model(trained.experiment.workspace, "ridge")

    with pytest.raises(FileExistsError):
        model.download(tmp_path)
    assert (tmp_path / "model.pkl").read_bytes() == b"mine"

    model.download(tmp_path, exist_ok=True)
    assert (tmp_path / "model.pkl").read_bytes() == b"weights v1"


def test_register_an_unknown_path_names_it(trained: Run) -> None:
    with pytest.raises(ArtifactNotFoundError, match=re.escape("outputs/missing.pkl")):
        trained.register_model("ridge", "outputs/missing.pkl")

    assert Model.list(trained.experiment.workspace) == []


def test_a_path_prefix_is_not_a_folder_prefix(trained: Run) -> None:
    # "outputs/model" must not take "outputs/model_card.md" nor "outputs/model.pkl".
    model = trained.register_model("net", "outputs/model")

    assert "outputs/model_card.md" not in model.files
    assert "outputs/model.pkl" not in model.files


def test_unknown_model_raises(workspace: Workspace, trained: Run) -> None:
    trained.register_model("ridge", "outputs/model.pkl")

    with pytest.raises(ModelNotFoundError, match="nothing-here"):
        Model(workspace, "nothing-here")
    with pytest.raises(ModelNotFoundError, match="ridge"):
        Model(workspace, "ridge", version=7)


def test_download_does_not_follow_a_symlink_out_of_the_target(trained: Run, tmp_path: Path) -> None:
    trained.register_model("net", "outputs/model")
    target = tmp_path / "target"
    outside = tmp_path / "outside"
    target.mkdir()
    outside.mkdir()
    (target / "model").symlink_to(outside, target_is_directory=True)

    with pytest.raises(UnsafeFileNameError, match=r"'model/encoder\.bin'"):
        Model(trained.experiment.workspace, "net").download(target)

    assert list(outside.iterdir()) == []
