"""Artifact store behaviour, on a local folder and on Azure Blob Storage (Azurite)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from runhistory.artifacts.base import ArtifactStore, open_artifact_store
from runhistory.artifacts.fsspec_store import READ_BLOCK, FsspecArtifactStore
from runhistory.errors import ArtifactNotFoundError

LARGE = 9 * READ_BLOCK + 12345  # more than one upload part of an object store


class CountingStream(io.RawIOBase):
    """A source that records every read size and never returns more than was asked."""

    def __init__(self, content: bytes, fail_after: int | None = None) -> None:
        self.content = content
        self.position = 0
        self.reads: list[int] = []
        self.fail_after = fail_after

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        if self.fail_after is not None and self.position >= self.fail_after:
            raise OSError("the source disk went away")
        end = len(self.content) if size < 0 else self.position + size
        block = self.content[self.position : end]
        self.position += len(block)
        return block


def stored_files(store: ArtifactStore) -> list[str]:
    """Everything the store holds, temporary uploads included."""
    if isinstance(store, FsspecArtifactStore):
        return list(store._fs.find(store._root))
    root = Path(store.location)
    return [p.as_posix() for p in root.rglob("*") if p.is_file()] if root.exists() else []


def read_in_blocks(store: ArtifactStore, key: str) -> bytes:
    parts = []
    with store.open(key) as stream:
        while block := stream.read(READ_BLOCK):
            parts.append(block)
    return b"".join(parts)


def test_a_large_file_round_trips_in_blocks(artifact_store: ArtifactStore) -> None:
    content = os.urandom(LARGE)
    source = CountingStream(content)

    size, sha256 = artifact_store.put("runs/r1/model.bin", source)  # type: ignore[arg-type]

    assert (size, sha256) == (LARGE, hashlib.sha256(content).hexdigest())
    assert len(source.reads) > 2
    assert all(0 < requested <= READ_BLOCK for requested in source.reads)
    assert read_in_blocks(artifact_store, "runs/r1/model.bin") == content


def test_an_empty_file_round_trips(artifact_store: ArtifactStore) -> None:
    assert artifact_store.put("runs/r1/empty", io.BytesIO(b"")) == (
        0,
        hashlib.sha256(b"").hexdigest(),
    )
    assert artifact_store.exists("runs/r1/empty")
    assert read_in_blocks(artifact_store, "runs/r1/empty") == b""


def test_exists_move_and_delete(artifact_store: ArtifactStore) -> None:
    artifact_store.put("pending/one", io.BytesIO(b"first"))
    artifact_store.put("snapshots/abc", io.BytesIO(b"old"))

    artifact_store.move("pending/one", "snapshots/abc")

    assert not artifact_store.exists("pending/one")
    assert artifact_store.exists("snapshots/abc")
    assert read_in_blocks(artifact_store, "snapshots/abc") == b"first"
    artifact_store.delete("snapshots/abc")
    artifact_store.delete("snapshots/abc")  # deleting what is gone is fine
    assert not artifact_store.exists("snapshots/abc")


def test_a_missing_key_is_artifact_not_found(artifact_store: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFoundError, match="runs/r1/nothing"):
        artifact_store.open("runs/r1/nothing")
    assert not artifact_store.exists("runs/r1/nothing")


def test_a_failed_upload_leaves_no_key_behind(artifact_store: ArtifactStore) -> None:
    source = CountingStream(os.urandom(LARGE), fail_after=3 * READ_BLOCK)

    with pytest.raises(OSError, match="went away"):
        artifact_store.put("runs/r1/model.bin", source)  # type: ignore[arg-type]

    assert not artifact_store.exists("runs/r1/model.bin")
    assert stored_files(artifact_store) == []


def test_a_failed_upload_keeps_what_the_key_held(artifact_store: ArtifactStore) -> None:
    artifact_store.put("runs/r1/model.bin", io.BytesIO(b"version one"))
    source = CountingStream(os.urandom(LARGE), fail_after=2 * READ_BLOCK)

    with pytest.raises(OSError, match="went away"):
        artifact_store.put("runs/r1/model.bin", source)  # type: ignore[arg-type]

    assert read_in_blocks(artifact_store, "runs/r1/model.bin") == b"version one"


def test_an_object_store_has_no_local_path(azure_container: str) -> None:
    store = open_artifact_store(f"az://{azure_container}/files")
    store.put("runs/r1/a.txt", io.BytesIO(b"hi"))

    assert isinstance(store, FsspecArtifactStore)
    assert store.local_path("runs/r1/a.txt") is None
    assert store.location == f"az://{azure_container}/files"


def test_keys_live_under_the_prefix(azure_container: str) -> None:
    store = open_artifact_store(f"abfs://{azure_container}/team/files")
    store.put("runs/r1/a.txt", io.BytesIO(b"hi"))

    assert stored_files(store) == [f"{azure_container}/team/files/runs/r1/a.txt"]
