"""Run files over HTTP: streamed both ways, ranged downloads, and names that escape refused."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from runhistory.model import RunStatus
from runhistory.store.rest import RestStore
from runhistory.store.sql.store import SqlStore


def make_run(store: SqlStore) -> str:
    experiment = store.get_or_create_experiment("files")
    return store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "name",
    [
        "%2E%2E/%2E%2E/escaped.txt",
        "outputs/%2E%2E/%2E%2E/%2E%2E/escaped.txt",
        "%2Fetc%2Fescaped.txt",
        "outputs%5C..%5Cescaped.txt",
        "outputs//twice.txt",
        "nul%00.txt",
    ],
)
def test_names_that_leave_the_run_are_refused_and_nothing_is_written(
    client: TestClient, store: SqlStore, tmp_path: Path, name: str
) -> None:
    run_id = make_run(store)
    before = stored_files(tmp_path)
    response = client.put(f"/api/v1/runs/{run_id}/artifacts/{name}", content=b"payload")
    assert 400 <= response.status_code < 500
    assert store.list_artifacts(run_id) == []
    assert stored_files(tmp_path) == before


def test_an_upload_to_an_unknown_run_is_a_404(client: TestClient, store: SqlStore) -> None:
    response = client.put("/api/v1/runs/no-such-run/artifacts/a.txt", content=b"x")
    assert (response.status_code, response.json()["error_code"]) == (404, "run_not_found")


def test_a_large_file_round_trips_through_the_rest_store(
    rest: RestStore, store: SqlStore, tmp_path: Path
) -> None:
    run_id = make_run(store)
    source = tmp_path / "big.bin"
    data = os.urandom(3 * 1024 * 1024 + 17)
    source.write_bytes(data)
    record = rest.add_artifact(run_id, "outputs/big.bin", source)
    assert record.size == len(data)
    assert rest.get_artifact(run_id, "outputs/big.bin") == record
    with rest.open_artifact(run_id, "outputs/big.bin") as stream:
        assert stream.read() == data
    assert [a.name for a in rest.list_artifacts(run_id, "outputs/")] == ["outputs/big.bin"]


def test_downloads_answer_ranges(client: TestClient, rest: RestStore, store: SqlStore) -> None:
    run_id = make_run(store)
    rest.add_artifact(run_id, "a.txt", io.BytesIO(b"0123456789"))
    url = f"/api/v1/runs/{run_id}/artifacts/a.txt"
    whole = client.get(url)
    assert (whole.status_code, whole.content, whole.headers["accept-ranges"]) == (
        200,
        b"0123456789",
        "bytes",
    )
    part = client.get(url, headers={"Range": "bytes=2-4"})
    assert (part.status_code, part.content, part.headers["content-range"]) == (
        206,
        b"234",
        "bytes 2-4/10",
    )
    assert client.get(url, headers={"Range": "bytes=-3"}).content == b"789"
    assert client.get(url, headers={"Range": "bytes=7-"}).content == b"789"
    assert client.get(url, headers={"Range": "bytes=20-30"}).status_code == 416


def test_the_same_file_again_is_kept_and_a_different_one_refused(
    rest: RestStore, store: SqlStore
) -> None:
    from runhistory.errors import ArtifactExistsError

    run_id = make_run(store)
    rest.add_artifact(run_id, "a.txt", io.BytesIO(b"one"))
    rest.add_artifact(run_id, "a.txt", io.BytesIO(b"one"))
    with pytest.raises(ArtifactExistsError):
        rest.add_artifact(run_id, "a.txt", io.BytesIO(b"two"))
    kept = rest.add_artifact(run_id, "a.txt", io.BytesIO(b"two"), fail_if_different=False)
    assert kept.size == 3
    with rest.open_artifact(run_id, "a.txt") as stream:
        assert stream.read() == b"one"


def test_snapshot_blobs_are_stored_under_the_hash_the_server_computes(
    client: TestClient, rest: RestStore
) -> None:
    import hashlib

    size, sha256 = rest.artifacts.put("snapshots/pending/x", io.BytesIO(b"source"))
    assert (size, sha256) == (6, hashlib.sha256(b"source").hexdigest())
    rest.artifacts.move("snapshots/pending/x", f"snapshots/blobs/{sha256}")
    assert rest.artifacts.exists(f"snapshots/blobs/{sha256}")
    assert not rest.artifacts.exists("snapshots/blobs/" + "0" * 64)
    with rest.artifacts.open(f"snapshots/blobs/{sha256}") as stream:
        assert stream.read() == b"source"
    assert client.get("/api/v1/snapshot-blobs/..%2F..%2Fetc").status_code in (400, 404)
