"""Artifact store behaviour, on a local folder, Azure Blob Storage (Azurite) and S3 (moto)."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from runhistory.artifacts.base import ArtifactStore, open_artifact_store
from runhistory.artifacts.fsspec_store import READ_BLOCK, TRANSFER_BLOCK, FsspecArtifactStore
from runhistory.errors import ArtifactNotFoundError, InvalidValueError, StoreError
from tests.artifacts.conftest import AZURITE_KEY

LARGE = TRANSFER_BLOCK + READ_BLOCK + 12345  # more than one upload part of an object store


class CountingStream(io.RawIOBase):
    """A source that records every read size and never returns more than was asked.

    ``fail_after`` makes a read past that many bytes fail; ``on_read`` is called before each read.
    """

    def __init__(
        self,
        content: bytes,
        fail_after: int | None = None,
        on_read: Callable[[int], None] | None = None,
    ) -> None:
        self.content = content
        self.position = 0
        self.reads: list[int] = []
        self.fail_after = fail_after
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        if self.on_read is not None:
            self.on_read(self.position)
        if self.fail_after is not None and self.position >= self.fail_after:
            raise OSError("the source disk went away")
        end = len(self.content) if size < 0 else self.position + size
        block = self.content[self.position : end]
        self.position += len(block)
        return block


def stored_keys(store: ArtifactStore) -> list[str]:
    """Every key the store holds, temporary uploads included, listed by the backend itself."""
    if isinstance(store, FsspecArtifactStore):
        root = store._root
        return sorted(path[len(root) + 1 :] for path in store._fs.find(root))
    root = Path(store.location)
    files = root.rglob("*") if root.exists() else []
    return sorted(p.relative_to(root).as_posix() for p in files if p.is_file())


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
    assert stored_keys(artifact_store) == ["runs/r1/model.bin"]


def test_a_large_file_streams_through_a_few_blocks_of_memory(
    artifact_store: ArtifactStore,
) -> None:
    content = os.urandom(8 * TRANSFER_BLOCK + 12345)
    # Holding the file whole takes at least its size; streaming holds a few blocks (the
    # storage clients' own buffers vary, so the bound is the file, not a count of blocks).
    bound = len(content)

    tracemalloc.start()
    try:
        artifact_store.put("runs/r1/model.bin", io.BytesIO(content))
        upload_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        with artifact_store.open("runs/r1/model.bin") as stream:
            while block := stream.read(READ_BLOCK):
                digest.update(block)
        download_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with artifact_store.open("runs/r1/model.bin") as stream:
            stream.seek(len(content) - 100)
            tail = stream.read(1000)
        range_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert digest.hexdigest() == hashlib.sha256(content).hexdigest()
    assert tail == content[-100:]
    assert upload_peak < bound
    assert download_peak < bound
    # A range at the end fetches a block there (and the client's copies of it), not the file.
    assert range_peak < 3 * TRANSFER_BLOCK


def test_a_range_is_read_from_where_the_stream_seeks(artifact_store: ArtifactStore) -> None:
    content = os.urandom(LARGE)
    artifact_store.put("runs/r1/model.bin", io.BytesIO(content))

    with artifact_store.open("runs/r1/model.bin") as stream:
        stream.seek(5 * READ_BLOCK + 3)
        middle = stream.read(1000)
        stream.seek(17)
        start = stream.read(10)
        stream.seek(LARGE - 10)
        end = stream.read(100)
        after_end = stream.read(100)

    assert middle == content[5 * READ_BLOCK + 3 : 5 * READ_BLOCK + 1003]
    assert start == content[17:27]
    assert end == content[-10:]
    assert after_end == b""


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
    assert stored_keys(artifact_store) == []


def test_a_missing_key_is_artifact_not_found(artifact_store: ArtifactStore) -> None:
    artifact_store.put("runs/r1/model.bin", io.BytesIO(b"weights"))

    with pytest.raises(ArtifactNotFoundError, match="runs/r1/nothing"):
        artifact_store.open("runs/r1/nothing")
    with pytest.raises(ArtifactNotFoundError, match="pending/nothing"):
        artifact_store.move("pending/nothing", "runs/r1/model.bin")
    assert not artifact_store.exists("runs/r1/nothing")
    assert not artifact_store.exists("runs/r1")  # a folder of keys is not a key
    assert read_in_blocks(artifact_store, "runs/r1/model.bin") == b"weights"


def test_a_key_that_leaves_the_store_is_refused(artifact_store: ArtifactStore) -> None:
    artifact_store.put("runs/r1/a.txt", io.BytesIO(b"hi"))
    keys = ["../outside", "runs/r1/../../../outside", "/etc/passwd", "runs//a", "./a", "runs\\a"]
    operations: list[Callable[[str], object]] = [
        lambda key: artifact_store.put(key, io.BytesIO(b"bad")),
        artifact_store.open,
        artifact_store.exists,
        artifact_store.delete,
        lambda key: artifact_store.move("runs/r1/a.txt", key),
        lambda key: artifact_store.move(key, "runs/r1/a.txt"),
        artifact_store.local_path,
    ]

    for key in keys:
        for operation in operations:
            with pytest.raises(InvalidValueError, match="relative path"):
                operation(key)

    assert stored_keys(artifact_store) == ["runs/r1/a.txt"]


def test_readers_see_the_old_content_until_an_upload_completes(
    artifact_store: ArtifactStore,
) -> None:
    artifact_store.put("runs/r1/model.bin", io.BytesIO(b"version one"))
    content = os.urandom(LARGE)
    seen: list[object] = []

    def look_at(key: str) -> Callable[[int], None]:
        def look(position: int) -> None:
            if position == TRANSFER_BLOCK:  # the first upload part has been sent
                exists = artifact_store.exists(key)
                seen.append(read_in_blocks(artifact_store, key) if exists else exists)

        return look

    for key in ("runs/r1/model.bin", "runs/r1/new.bin"):
        source = CountingStream(content, on_read=look_at(key))
        artifact_store.put(key, source)  # type: ignore[arg-type]

    assert seen == [b"version one", False]
    assert read_in_blocks(artifact_store, "runs/r1/model.bin") == content
    assert read_in_blocks(artifact_store, "runs/r1/new.bin") == content
    assert stored_keys(artifact_store) == ["runs/r1/model.bin", "runs/r1/new.bin"]


def test_a_failed_upload_leaves_no_key_behind(artifact_store: ArtifactStore) -> None:
    source = CountingStream(os.urandom(LARGE), fail_after=TRANSFER_BLOCK)  # after a part

    with pytest.raises(OSError, match="went away"):
        artifact_store.put("runs/r1/model.bin", source)  # type: ignore[arg-type]

    assert not artifact_store.exists("runs/r1/model.bin")
    assert stored_keys(artifact_store) == []


def test_a_failed_upload_keeps_what_the_key_held(artifact_store: ArtifactStore) -> None:
    artifact_store.put("runs/r1/model.bin", io.BytesIO(b"version one"))
    source = CountingStream(os.urandom(LARGE), fail_after=2 * READ_BLOCK)

    with pytest.raises(OSError, match="went away"):
        artifact_store.put("runs/r1/model.bin", source)  # type: ignore[arg-type]

    assert read_in_blocks(artifact_store, "runs/r1/model.bin") == b"version one"
    assert stored_keys(artifact_store) == ["runs/r1/model.bin"]


def test_an_object_store_has_no_local_path(object_storage_url: str) -> None:
    store = open_artifact_store(object_storage_url)
    store.put("runs/r1/a.txt", io.BytesIO(b"hi"))

    assert isinstance(store, FsspecArtifactStore)
    assert store.local_path("runs/r1/a.txt") is None
    assert store.location == object_storage_url


def test_keys_live_under_the_prefix(object_storage_url: str) -> None:
    store = open_artifact_store(object_storage_url)
    store.put("runs/r1/a.txt", io.BytesIO(b"hi"))
    bucket_and_prefix = object_storage_url.partition("://")[2]

    assert isinstance(store, FsspecArtifactStore)
    assert store._fs.find(bucket_and_prefix.partition("/")[0]) == [
        f"{bucket_and_prefix}/runs/r1/a.txt"
    ]


def test_a_missing_bucket_or_container_is_a_store_error(object_storage_url: str) -> None:
    scheme, _, bucket_and_prefix = object_storage_url.partition("://")
    location = f"{scheme}://missing-{bucket_and_prefix}"
    store = open_artifact_store(location)

    with pytest.raises(StoreError, match=location):
        store.put("runs/r1/a.txt", io.BytesIO(b"hi"))
    with pytest.raises(ArtifactNotFoundError, match=location):
        store.open("runs/r1/a.txt")
    assert not store.exists("runs/r1/a.txt")


def test_refused_or_missing_credentials_are_a_store_error(
    object_storage_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_artifact_store(object_storage_url).put("runs/r1/a.txt", io.BytesIO(b"hi"))
    if object_storage_url.startswith("s3://"):
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        problem = "credentials"
    else:
        connection = os.environ["AZURE_STORAGE_CONNECTION_STRING"]
        wrong_key = AZURITE_KEY[:-8] + "AAAAAAA="
        monkeypatch.setenv(
            "AZURE_STORAGE_CONNECTION_STRING", connection.replace(AZURITE_KEY, wrong_key)
        )
        problem = "authenticate"
    # A store of its own: fsspec would otherwise reuse the client made with the right keys.
    store = FsspecArtifactStore(object_storage_url, {"skip_instance_cache": True})

    with pytest.raises(StoreError, match=problem):
        store.exists("runs/r1/a.txt")  # an error, not "missing"
    with pytest.raises(StoreError, match=problem):
        store.open("runs/r1/a.txt")
    with pytest.raises(StoreError, match=problem):
        store.put("runs/r1/b.txt", io.BytesIO(b"hi"))


def test_an_endpoint_can_be_set_for_s3_alone(
    s3_bucket: str, moto_s3: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # other services, unused here
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_s3)
    store = FsspecArtifactStore(f"s3://{s3_bucket}/files", {"skip_instance_cache": True})

    store.put("runs/r1/a.txt", io.BytesIO(b"hi"))

    assert read_in_blocks(store, "runs/r1/a.txt") == b"hi"
