"""Files of a run: uploads, downloads, logs, the ./outputs capture and snapshots, on every backend."""

from __future__ import annotations

import io
import logging
import os
import re
import time
import zipfile
from pathlib import Path

import pytest

import runhistory
from runhistory import Experiment, Run
from runhistory.errors import ArtifactExistsError, InvalidStateError


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def downloaded(run: Run, name: str, folder: Path) -> bytes:
    return run.download_file(name, folder / name.replace("/", "_")).read_bytes()


# uploads ----------------------------------------------------------------------------------------


def test_upload_file_from_a_path(run: Run, tmp_path: Path) -> None:
    source = write(tmp_path / "model.pkl", b"\x00weights\xff")

    run.upload_file("outputs/model.pkl", source)

    assert run.get_file_names() == ["outputs/model.pkl"]
    assert downloaded(run, "outputs/model.pkl", tmp_path / "out") == b"\x00weights\xff"


def test_upload_file_from_a_stream(run: Run, tmp_path: Path) -> None:
    run.upload_file("notes/readme.txt", io.BytesIO(b"hello"))

    assert run.get_file_names() == ["notes/readme.txt"]
    assert downloaded(run, "notes/readme.txt", tmp_path) == b"hello"


def test_upload_files_stores_each_under_its_name(run: Run, tmp_path: Path) -> None:
    first = write(tmp_path / "a.txt", "first")
    second = write(tmp_path / "b.txt", "second")

    run.upload_files(["data/a.txt", "data/deeper/b.txt"], [first, second])

    assert run.get_file_names() == ["data/a.txt", "data/deeper/b.txt"]
    assert downloaded(run, "data/deeper/b.txt", tmp_path / "out") == b"second"


def test_upload_folder_keeps_the_folder_structure(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "results"
    write(folder / "summary.json", '{"ok": true}')
    write(folder / "plots" / "loss.csv", "step,loss\n0,1.0\n")

    run.upload_folder("results", folder)

    assert run.get_file_names() == ["results/plots/loss.csv", "results/summary.json"]
    assert downloaded(run, "results/plots/loss.csv", tmp_path / "out") == b"step,loss\n0,1.0\n"


def test_uploading_the_same_content_again_is_a_no_op(run: Run, tmp_path: Path) -> None:
    source = write(tmp_path / "model.pkl", b"weights")
    run.upload_file("outputs/model.pkl", source)

    run.upload_file("outputs/model.pkl", source)
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))

    assert run.get_file_names() == ["outputs/model.pkl"]
    assert downloaded(run, "outputs/model.pkl", tmp_path / "out") == b"weights"


def test_uploading_other_content_under_a_taken_name_raises_and_keeps_the_original(
    run: Run, tmp_path: Path
) -> None:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"original"))

    with pytest.raises(ArtifactExistsError, match=re.escape("outputs/model.pkl")):
        run.upload_file("outputs/model.pkl", io.BytesIO(b"replacement"))

    assert run.get_file_names() == ["outputs/model.pkl"]
    assert downloaded(run, "outputs/model.pkl", tmp_path / "out") == b"original"


# logs -------------------------------------------------------------------------------------------


def test_file_names_include_a_log_once_something_was_written_to_it(run: Run) -> None:
    run.upload_file("outputs/a.txt", io.BytesIO(b"a"))
    assert run.get_file_names() == ["outputs/a.txt"]

    run._append_log("logs/user_log.txt", "text\n")

    assert run.get_file_names() == ["logs/user_log.txt", "outputs/a.txt"]


def test_logging_handler_output_is_a_file_of_the_run(run: Run, tmp_path: Path) -> None:
    logger = logging.getLogger("tests.sdk.files")
    handler = runhistory.logging_handler(run)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("epoch 1 done")
    finally:
        logger.removeHandler(handler)

    assert "logs/user_log.txt" in run.get_file_names()
    text = run.download_file("logs/user_log.txt", tmp_path / "user_log.txt").read_text()
    assert "epoch 1 done" in text


def test_get_all_logs_writes_every_log_file(run: Run, tmp_path: Path) -> None:
    run._append_log("logs/user_log.txt", "first line\n")
    run._append_log("logs/user_log.txt", "second line\n")
    run._append_log("logs/other.txt", "other\n")

    paths = run.get_all_logs(tmp_path / "logs_out")

    assert sorted(Path(p).relative_to(tmp_path / "logs_out").as_posix() for p in paths) == [
        "logs/other.txt",
        "logs/user_log.txt",
    ]
    assert (tmp_path / "logs_out/logs/user_log.txt").read_text() == "first line\nsecond line\n"


def test_get_details_with_logs_holds_the_log_text(run: Run) -> None:
    run._append_log("logs/user_log.txt", "hello from the script\n")

    details = run.get_details_with_logs()

    assert details["logFiles"]["logs/user_log.txt"] == "hello from the script\n"


def test_get_details_with_logs_after_a_flush(run: Run, tmp_path: Path) -> None:
    run._append_log("logs/user_log.txt", "flushed\n")
    run.flush()

    assert run.get_details_with_logs()["logFiles"] == {"logs/user_log.txt": "flushed\n"}
    assert run.get_details()["logFiles"] == {
        "logs/user_log.txt": f"runhistory://runs/{run.id}/logs/user_log.txt"
    }
    paths = run.get_all_logs(tmp_path / "all")
    assert [Path(p).read_text() for p in paths] == ["flushed\n"]


# downloads --------------------------------------------------------------------------------------


def test_download_file_to_a_file_path(run: Run, tmp_path: Path) -> None:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))

    target = run.download_file("outputs/model.pkl", tmp_path / "new" / "copy.bin")

    assert Path(target) == tmp_path / "new" / "copy.bin"
    assert Path(target).read_bytes() == b"weights"


def test_download_file_into_a_folder_uses_the_base_name(run: Run, tmp_path: Path) -> None:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))
    folder = tmp_path / "into"
    folder.mkdir()

    target = run.download_file("outputs/model.pkl", folder)

    assert Path(target) == folder / "model.pkl"
    assert (folder / "model.pkl").read_bytes() == b"weights"


def test_download_file_defaults_to_the_current_folder(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))
    monkeypatch.chdir(tmp_path)

    run.download_file("outputs/model.pkl")

    assert (tmp_path / "model.pkl").read_bytes() == b"weights"


def test_download_files_with_a_prefix_keeps_the_structure(run: Run, tmp_path: Path) -> None:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))
    run.upload_file("outputs/eval/scores.csv", io.BytesIO(b"a,b\n"))
    run.upload_file("other/skip.txt", io.BytesIO(b"skip"))

    run.download_files(prefix="outputs", output_directory=tmp_path / "dl")

    found = sorted(p.relative_to(tmp_path / "dl").as_posix() for p in (tmp_path / "dl").rglob("*"))
    assert found == ["outputs", "outputs/eval", "outputs/eval/scores.csv", "outputs/model.pkl"]
    assert (tmp_path / "dl/outputs/eval/scores.csv").read_bytes() == b"a,b\n"


def test_download_files_without_a_prefix_gets_everything(run: Run, tmp_path: Path) -> None:
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))
    run.upload_file("other/keep.txt", io.BytesIO(b"keep"))

    run.download_files(output_directory=tmp_path / "dl")

    assert (tmp_path / "dl/outputs/model.pkl").read_bytes() == b"weights"
    assert (tmp_path / "dl/other/keep.txt").read_bytes() == b"keep"


# ./outputs capture ------------------------------------------------------------------------------


def test_files_written_to_outputs_are_uploaded_at_complete(
    experiment: Experiment, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs"
    run = experiment.start_logging(snapshot_directory=None, outputs=outputs)
    write(outputs / "model.pkl", b"weights")
    write(outputs / "eval" / "deep" / "scores.csv", "a,b\n1,2\n")

    run.complete()

    assert run.get_status() == "Completed"
    assert run.get_file_names() == ["outputs/eval/deep/scores.csv", "outputs/model.pkl"]
    assert downloaded(run, "outputs/eval/deep/scores.csv", tmp_path / "dl") == b"a,b\n1,2\n"


def test_an_explicit_upload_in_outputs_wins_over_the_capture(
    experiment: Experiment, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs"
    run = experiment.start_logging(snapshot_directory=None, outputs=outputs)
    run.upload_file("outputs/model.pkl", io.BytesIO(b"explicit"))
    write(outputs / "model.pkl", b"written later")

    run.complete()

    assert run.get_status() == "Completed"
    assert downloaded(run, "outputs/model.pkl", tmp_path / "dl") == b"explicit"


def test_files_in_outputs_older_than_the_run_are_not_captured(
    experiment: Experiment, tmp_path: Path
) -> None:
    outputs = tmp_path / "outputs"
    stale = write(outputs / "stale.txt", "from an earlier run")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    run = experiment.start_logging(snapshot_directory=None, outputs=outputs)
    write(outputs / "fresh.txt", "from this run")

    run.complete()

    assert run.get_file_names() == ["outputs/fresh.txt"]


# snapshots --------------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    write(folder / "train.py", "print('train')\n")
    write(folder / "lib" / "model.py", "class Model: ...\n")
    write(folder / "data" / "small.bin", bytes(range(256)))
    return folder


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_start_logging_snapshots_the_folder(
    experiment: Experiment, source: Path, tmp_path: Path
) -> None:
    run = experiment.start_logging(snapshot_directory=source, outputs=None)

    snapshot_id = run.get_snapshot_id()
    zip_path = run.restore_snapshot(path=tmp_path / "restored")

    assert snapshot_id is not None
    with zipfile.ZipFile(zip_path) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == folder_contents(source)


def test_two_runs_of_the_same_folder_share_the_snapshot(
    experiment: Experiment, source: Path
) -> None:
    first = experiment.start_logging(snapshot_directory=source, outputs=None)
    second = experiment.start_logging(snapshot_directory=source, outputs=None)

    assert first.get_snapshot_id() == second.get_snapshot_id()


def test_a_different_folder_gets_another_snapshot(
    experiment: Experiment, source: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    write(other / "train.py", "print('other')\n")

    first = experiment.start_logging(snapshot_directory=source, outputs=None)
    second = experiment.start_logging(snapshot_directory=other, outputs=None)

    assert first.get_snapshot_id() != second.get_snapshot_id()


def test_take_snapshot_twice_raises(run: Run, source: Path) -> None:
    snapshot_id = run.take_snapshot(source)

    with pytest.raises(InvalidStateError, match="already has a snapshot"):
        run.take_snapshot(source)

    assert run.get_snapshot_id() == snapshot_id
