"""Choosing an artifact store by location."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest

from runhistory.artifacts.base import ArtifactStore, open_artifact_store
from runhistory.artifacts.fsspec_store import FsspecArtifactStore
from runhistory.artifacts.local import LocalArtifactStore
from runhistory.errors import InvalidValueError


def test_a_folder_or_file_url_is_a_local_store(tmp_path: Path) -> None:
    by_path = open_artifact_store(tmp_path / "files")
    by_url = open_artifact_store(f"file://{tmp_path / 'files'}")

    assert isinstance(by_path, LocalArtifactStore)
    assert isinstance(by_url, LocalArtifactStore)
    assert by_path.root == by_url.root == tmp_path / "files"


def test_azure_locations_are_object_storage(azure_container: str) -> None:
    by_az = open_artifact_store(f"az://{azure_container}/files")
    by_abfs = open_artifact_store(f"abfs://{azure_container}/files")
    by_az.put("runs/r1/a.txt", io.BytesIO(b"hi"))

    assert isinstance(by_az, FsspecArtifactStore)
    assert isinstance(by_abfs, FsspecArtifactStore)
    assert isinstance(by_az, ArtifactStore)
    assert by_abfs.exists("runs/r1/a.txt")  # two names for the same storage


def test_s3_locations_are_object_storage(s3_bucket: str) -> None:
    store = open_artifact_store(f"s3://{s3_bucket}/files")

    assert isinstance(store, FsspecArtifactStore)
    assert isinstance(store, ArtifactStore)


def test_an_unknown_scheme_is_refused_with_the_location() -> None:
    with pytest.raises(InvalidValueError, match=r"'ftp://host/files'.*az://"):
        open_artifact_store("ftp://host/files")


@pytest.mark.parametrize(
    ("location", "package", "extra"),
    [("az://c/files", "adlfs", "azure"), ("s3://bucket/files", "s3fs", "s3")],
)
def test_a_missing_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, location: str, package: str, extra: str
) -> None:
    real_find_spec = importlib.util.find_spec

    def without_package(name: str, *args: object) -> object:
        return None if name == package else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", without_package)

    with pytest.raises(InvalidValueError, match=rf"'{location}'.*install runhistory\[{extra}\]"):
        open_artifact_store(location)
