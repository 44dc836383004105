"""Snapshots against a real SQLite store and a real artifact folder."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from runhistory.errors import (
    InvalidValueError,
    NotFoundError,
    SnapshotTooLargeError,
    UnsafeFileNameError,
)
from runhistory.snapshot import (
    compare_snapshot_folder,
    restore_snapshot_folder,
    restore_snapshot_zip,
    snapshot_files,
    snapshot_manifest,
    take_snapshot,
)
from runhistory.store.sql.store import SqlStore

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and symlinks")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore.open(f"sqlite:///{tmp_path}/runhistory.db", tmp_path / "artifacts")
    yield opened
    opened.close()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_files(
        tmp_path / "src",
        {
            "train.py": "print('train')\n",
            "lib/model.py": "class Model: ...\n",
            "data/small.csv": "a,b\n1,2\n",
        },
    )


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    root.mkdir(parents=True, exist_ok=True)
    return root


def blob_count(tmp_path: Path) -> int:
    blobs = tmp_path / "artifacts" / "snapshots" / "blobs"
    return sum(1 for path in blobs.rglob("*") if path.is_file()) if blobs.exists() else 0


def names(folder: Path) -> list[str]:
    return [name for name, _ in snapshot_files(folder)]


def expected_id(folder: Path) -> str:
    """The id the documented recipe gives: sha256 of the canonical manifest JSON."""
    manifest = {
        name: {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "size": path.stat().st_size,
            "mode": stat.S_IMODE(path.stat().st_mode),
        }
        for name, path in snapshot_files(folder)
    }
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# taking snapshots --------------------------------------------------------------------------------


def test_same_folder_twice_gives_same_id_and_no_new_blobs(
    store: SqlStore, source: Path, tmp_path: Path
) -> None:
    first = take_snapshot(store, source)
    blobs = blob_count(tmp_path)
    second = take_snapshot(store, str(source))
    assert second == first == expected_id(source)
    assert blobs == 3
    assert blob_count(tmp_path) == blobs


def test_changing_one_file_gives_new_id_and_one_new_blob(
    store: SqlStore, source: Path, tmp_path: Path
) -> None:
    first = take_snapshot(store, source)
    (source / "train.py").write_text("print('train harder')\n")
    second = take_snapshot(store, source)
    assert second != first
    assert blob_count(tmp_path) == 4
    old, new = snapshot_manifest(store, first), snapshot_manifest(store, second)
    assert old["lib/model.py"] == new["lib/model.py"]
    assert old["train.py"]["sha256"] != new["train.py"]["sha256"]


def test_identical_contents_share_one_blob(store: SqlStore, tmp_path: Path) -> None:
    folder = write_files(tmp_path / "src", {"a.txt": "same", "b/c.txt": "same"})
    take_snapshot(store, folder)
    assert blob_count(tmp_path) == 1


def test_manifest_lists_sha256_size_and_mode(store: SqlStore, source: Path) -> None:
    manifest = snapshot_manifest(store, take_snapshot(store, source))
    assert sorted(manifest) == ["data/small.csv", "lib/model.py", "train.py"]
    assert manifest["train.py"] == {
        "sha256": hashlib.sha256(b"print('train')\n").hexdigest(),
        "size": 15,
        "mode": stat.S_IMODE((source / "train.py").stat().st_mode),
    }


def test_unknown_snapshot_raises_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFoundError):
        snapshot_manifest(store, "0" * 64)


@pytest.mark.parametrize("kind", ["file", "missing"])
def test_non_directory_raises_invalid_value(store: SqlStore, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "train.py"
    if kind == "file":
        path.write_text("print()\n")
    with pytest.raises(InvalidValueError, match="not a directory"):
        take_snapshot(store, path)
    with pytest.raises(InvalidValueError):
        snapshot_files(path)


def test_snapshot_files_are_sorted_with_absolute_paths(source: Path) -> None:
    files = snapshot_files(source)
    assert [name for name, _ in files] == ["data/small.csv", "lib/model.py", "train.py"]
    assert all(path.is_absolute() and path.is_file() for _, path in files)
    assert files[1][1] == (source / "lib" / "model.py").absolute()


# ignore rules ----------------------------------------------------------------------------------


def test_defaults_are_always_ignored(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "src",
        {
            "train.py": "",
            ".git/HEAD": "",
            ".runhistory/runhistory.db": "",
            "__pycache__/train.cpython-311.pyc": "",
            "lib/__pycache__/x.pyc": "",
            "lib/stale.pyc": "",
            ".ipynb_checkpoints/nb.ipynb": "",
            ".venv/bin/python": "",
            "outputs/model.pkl": "",
            "logs/train.log": "",
            ".runignore": "!*.pyc\n",
        },
    )
    assert names(folder) == [".runignore", "logs/train.log", "train.py"]


def test_runignore_takes_precedence_over_gitignore(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "src",
        {
            ".runignore": "data/\n",
            ".amlignore": "train.py\n",
            ".gitignore": "*.py\n",
            "train.py": "",
            "data/big.csv": "",
        },
    )
    assert names(folder) == [".amlignore", ".gitignore", ".runignore", "train.py"]


def test_amlignore_takes_precedence_over_gitignore(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "src",
        {".amlignore": "*.csv\n", ".gitignore": "*.py\n", "train.py": "", "a.csv": ""},
    )
    assert names(folder) == [".amlignore", ".gitignore", "train.py"]


def test_gitignore_patterns_folders_and_negation(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "src",
        {
            ".gitignore": "# comment\n*.log\n!keep.log\nbuild/\n/top.txt\n",
            "a.log": "",
            "keep.log": "",
            "build/out.bin": "",
            "lib/build/out.bin": "",
            "top.txt": "",
            "lib/top.txt": "",
        },
    )
    assert names(folder) == [".gitignore", "keep.log", "lib/top.txt"]


def test_nested_gitignore_applies_below_its_folder(tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "src",
        {
            ".gitignore": "*.tmp\n",
            "lib/.gitignore": "*.csv\n!x.tmp\n/only_here.txt\n",
            "a.csv": "",
            "a.tmp": "",
            "lib/b.csv": "",
            "lib/deep/c.csv": "",
            "lib/x.tmp": "",
            "lib/only_here.txt": "",
            "lib/deep/only_here.txt": "",
        },
    )
    assert names(folder) == [
        ".gitignore",
        "a.csv",
        "lib/.gitignore",
        "lib/deep/only_here.txt",
        "lib/x.tmp",
    ]


@posix_only
def test_symlinked_files_are_followed_and_symlinked_folders_skipped(tmp_path: Path) -> None:
    outside = write_files(tmp_path / "outside", {"shared.py": "shared"})
    folder = write_files(tmp_path / "src", {"train.py": ""})
    (folder / "shared.py").symlink_to(outside / "shared.py")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "broken.py").symlink_to(tmp_path / "missing.py")
    assert names(folder) == ["shared.py", "train.py"]


# limits ----------------------------------------------------------------------------------------


def test_too_many_files_names_the_folder_with_most_files(store: SqlStore, tmp_path: Path) -> None:
    files = {f"cache/{i}.json": "{}" for i in range(30)}
    files.update({f"lib/{i}.py": "" for i in range(5)})
    folder = write_files(tmp_path / "src", {**files, "train.py": ""})
    with pytest.raises(SnapshotTooLargeError) as raised:
        take_snapshot(store, folder, max_files=10)
    message = str(raised.value)
    assert "36 files" in message and "10 files" in message
    assert message.index("cache/ (30 files)") < message.index("lib/ (5 files)")
    assert ".runignore" in message and "RUNHISTORY_SNAPSHOT_MAX_FILES" in message
    assert blob_count(tmp_path) == 0
    with pytest.raises(NotFoundError):
        store.get_snapshot(expected_id(folder))


def test_too_many_bytes_names_the_biggest_folder(store: SqlStore, tmp_path: Path) -> None:
    folder = write_files(
        tmp_path / "src",
        {
            ".gitignore": "*.tmp\n",
            "data/a.bin": b"x" * 6000,
            "data/b.bin": b"x" * 6000,
            "weights.pt": b"x" * 3000,
            "train.py": "",
        },
    )
    with pytest.raises(SnapshotTooLargeError) as raised:
        take_snapshot(store, folder, max_bytes=10_000)
    message = str(raised.value)
    assert "Most bytes: data/ (12.0 kB), weights.pt (3.0 kB)" in message
    assert "10.0 kB" in message  # the limit, in the units of every size the product prints
    assert ".gitignore" in message and "RUNHISTORY_SNAPSHOT_MAX_BYTES" in message
    assert blob_count(tmp_path) == 0
    with pytest.raises(NotFoundError):
        store.get_snapshot(expected_id(folder))


def test_ignored_files_do_not_count_towards_limits(store: SqlStore, tmp_path: Path) -> None:
    files = {f"data/{i}.csv": "" for i in range(30)}
    folder = write_files(tmp_path / "src", {**files, ".runignore": "data/\n", "train.py": ""})
    snapshot_id = take_snapshot(store, folder, max_files=2)
    assert sorted(snapshot_manifest(store, snapshot_id)) == [".runignore", "train.py"]


# restoring -------------------------------------------------------------------------------------


def test_zip_round_trips_contents(store: SqlStore, source: Path, tmp_path: Path) -> None:
    (source / "bin").mkdir()
    (source / "bin" / "blob.dat").write_bytes(bytes(range(256)) * 5000)
    snapshot_id = take_snapshot(store, source)
    zip_path = restore_snapshot_zip(store, snapshot_id, tmp_path / "out" / "deep" / "src.zip")
    assert zip_path == tmp_path / "out" / "deep" / "src.zip"
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.testzip() is None
        contents = {name: archive.read(name) for name in archive.namelist()}
    assert contents == {name: path.read_bytes() for name, path in snapshot_files(source)}


@posix_only
def test_restore_into_folder_overwrites_and_keeps_executable_bit(
    store: SqlStore, source: Path, tmp_path: Path
) -> None:
    script = source / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    snapshot_id = take_snapshot(store, source)
    target = write_files(tmp_path / "checkout", {"train.py": "old", "notes.md": "mine"})

    restore_snapshot_folder(store, snapshot_id, target)

    for name, path in snapshot_files(source):
        assert (target / name).read_bytes() == path.read_bytes()
    assert (target / "notes.md").read_text() == "mine"
    assert os.access(target / "run.sh", os.X_OK)
    assert not os.access(target / "train.py", os.X_OK)
    with zipfile.ZipFile(restore_snapshot_zip(store, snapshot_id, tmp_path / "s.zip")) as archive:
        assert (archive.getinfo("run.sh").external_attr >> 16) & 0o111


def test_restore_creates_missing_folder(store: SqlStore, source: Path, tmp_path: Path) -> None:
    restore_snapshot_folder(store, take_snapshot(store, source), tmp_path / "new" / "checkout")
    assert names(tmp_path / "new" / "checkout") == names(source)


def test_compare_reports_changed_and_extra_files(
    store: SqlStore, source: Path, tmp_path: Path
) -> None:
    snapshot_id = take_snapshot(store, source)
    target = tmp_path / "checkout"
    restore_snapshot_folder(store, snapshot_id, target)
    assert compare_snapshot_folder(store, snapshot_id, target) == ([], [])

    (target / "train.py").write_text("print('edited')\n")
    (target / "lib" / "model.py").write_text("class Model: ..\n")  # same size, other bytes
    (target / "data" / "small.csv").unlink()  # restoring recreates it; nothing is overwritten
    write_files(target, {"notes.md": "mine", "__pycache__/x.pyc": "", ".git/HEAD": ""})

    changed, extra = compare_snapshot_folder(store, snapshot_id, target)
    assert changed == ["lib/model.py", "train.py"]
    assert extra == ["notes.md"]


def test_compare_with_missing_folder_reports_nothing(
    store: SqlStore, source: Path, tmp_path: Path
) -> None:
    assert compare_snapshot_folder(store, take_snapshot(store, source), tmp_path / "no") == ([], [])


@posix_only
def test_restore_does_not_follow_a_symlink_out_of_the_folder(
    store: SqlStore, source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "checkout"
    outside = tmp_path / "outside"
    outside.mkdir()
    target.mkdir()
    (target / "lib").symlink_to(outside, target_is_directory=True)

    with pytest.raises(UnsafeFileNameError, match=r"'lib/model\.py'"):
        restore_snapshot_folder(store, take_snapshot(store, source), target)

    assert list(outside.iterdir()) == []
    assert not (target / "train.py").exists()


def test_a_damaged_manifest_restores_nothing(store: SqlStore, source: Path, tmp_path: Path) -> None:
    manifest = snapshot_manifest(store, take_snapshot(store, source))
    damaged = {"a.txt": manifest["train.py"], "z/../../escaped.py": manifest["train.py"]}
    store.db.write(
        lambda cursor: cursor.execute(
            "INSERT INTO snapshots (id, manifest, file_count, size, created) VALUES (?, ?, 2, 1, 1)",
            ("damaged", json.dumps(damaged)),
        )
    )
    target = tmp_path / "deep" / "checkout"

    with pytest.raises(InvalidValueError, match=r"escaped\.py"):
        restore_snapshot_folder(store, "damaged", target)

    assert [p for p in tmp_path.rglob("*") if p.name in ("a.txt", "escaped.py")] == []
