"""Choosing an artifact store by location."""

from __future__ import annotations

import importlib.util
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
    for scheme in ("az", "abfs"):
        store = open_artifact_store(f"{scheme}://{azure_container}/files")
        assert isinstance(store, FsspecArtifactStore)
        assert isinstance(store, ArtifactStore)


def test_an_unknown_scheme_is_refused_with_the_location() -> None:
    with pytest.raises(InvalidValueError, match=r"'ftp://host/files'.*az://"):
        open_artifact_store("ftp://host/files")


def test_a_missing_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def without_adlfs(name: str, *args: object) -> object:
        return None if name == "adlfs" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", without_adlfs)

    with pytest.raises(InvalidValueError, match=r"'az://c/files'.*install runhistory\[azure\]"):
        open_artifact_store("az://c/files")
