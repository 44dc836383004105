"""A workspace holding real runs of every metric kind (``populated``), for the tests of the SDK
and of the command line (whose conftest builds its own from ``build_populated``)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.store.base import LogAppend, WriteBatch
from tests.conftest import isolated_settings

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
CONFUSION = {
    "schema_type": "confusion_matrix",
    "schema_version": "1.0.0",
    "data": {"class_labels": ["cat", "dog"], "matrix": [[3, 1], [0, 4]]},
}
SOURCE = {
    "train.py": "print('training')\n",
    "conf/params.json": '{"alpha": 0.1}\n',
    "run.sh": "#!/bin/sh\npython train.py\n",
}


@dataclasses.dataclass
class Populated:
    """The workspace and its runs, by role."""

    workspace: Workspace
    location: str
    baseline: Run  # sweep:1, Completed, every metric kind, snapshot, files, logs
    child: Run  # sweep:2, child of baseline
    tuned: Run  # sweep:3, Failed, other arguments and values
    active: Run  # sweep:4, Running, NaN and infinity
    other: Run  # other:1, no snapshot, no metrics


def write_source(folder: Path) -> Path:
    for name, text in SOURCE.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (folder / "run.sh").chmod(0o755)
    return folder


def add_log(workspace: Workspace, run: Run, stream: str, text: str) -> None:
    workspace.store.append(WriteBatch(logs=[LogAppend(run.id, stream, time.time(), text)]))


def _baseline(workspace: Workspace, experiment: Experiment, tmp_path: Path) -> tuple[Run, Run]:
    source = write_source(tmp_path / "source")
    run = experiment.start_logging(
        snapshot_directory=source,
        outputs=None,
        display_name="baseline",
        tags={"model": "ridge", "team": None},
    )
    workspace.store.update_run(
        run.id, script_name="train.py", arguments=["--alpha", "0.1", "--epochs", "3", "data.csv"]
    )
    run.add_properties({"dataset": "v1"})
    for value in (0.9, 0.5, 0.25):
        run.log("loss", value)
    run.log("acc", 0.75)
    run.log("note", "first try")
    run.log_list("val_losses", [0.8, 0.6, 0.4])
    run.log_row("pr", precision=0.5, recall=0.4)
    run.log_row("pr", precision=0.7, recall=0.6)
    run.log_table("results", {"fold": [0, 1], "score": [0.7, 0.8]})
    image = tmp_path / "chart.png"
    image.write_bytes(PNG)
    run.log_image("chart", path=image)
    run.log_confusion_matrix("cm", CONFUSION)
    model = tmp_path / "model.pkl"
    model.write_bytes(b"\x00weights\xff")
    run.upload_file("outputs/model.pkl", model)
    run.upload_file("outputs/report.txt", tmp_path / "source" / "train.py")
    child = run.child_run(name="fold-0")
    child.log("loss", 0.3)
    child.complete()
    add_log(workspace, run, "logs/std_log.txt", "epoch 1\nepoch 2\n")
    add_log(workspace, run, "logs/driver_log.txt", "started\n")
    run.complete()
    return run, child


def _tuned(workspace: Workspace, experiment: Experiment, tmp_path: Path) -> Run:
    source = write_source(tmp_path / "source-tuned")
    (source / "train.py").write_text("print('tuned training')\n")
    run = experiment.start_logging(snapshot_directory=source, outputs=None, tags={"model": "lasso"})
    workspace.store.update_run(
        run.id, script_name="train.py", arguments=["--alpha", "0.5", "--epochs", "3", "--fast"]
    )
    run.add_properties({"dataset": "v1"})
    for value in (0.8, 0.1):
        run.log("loss", value)
    run.log("acc", 0.9)
    run.upload_file("outputs/model.pkl", tmp_path / "source-tuned" / "train.py")
    run.fail("diverged")
    return run


def build_populated(tmp_path: Path) -> Populated:
    workspace = Workspace(tmp_path / "ws" / ".runhistory", settings=isolated_settings())
    sweep = Experiment(workspace, "sweep")
    baseline, child = _baseline(workspace, sweep, tmp_path)
    time.sleep(0.01)  # distinct creation times keep "newest first" unambiguous
    tuned = _tuned(workspace, sweep, tmp_path)
    time.sleep(0.01)
    active = sweep.start_logging(snapshot_directory=None, outputs=None)
    active.log("acc", float("nan"))
    active.log("loss", float("inf"))
    active.flush()
    time.sleep(0.01)
    other = Experiment(workspace, "other").start_logging(snapshot_directory=None, outputs=None)
    other.complete()
    return Populated(workspace, workspace.location, baseline, child, tuned, active, other)


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Populated]:
    """Shared by the tests of a module: only for tests that change nothing in the workspace."""
    built = build_populated(tmp_path_factory.mktemp("populated"))
    yield built
    built.workspace.close()
