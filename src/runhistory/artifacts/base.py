"""The interface every artifact store implements, and the choice of one by location.

Keys are relative POSIX paths chosen by the store (``runs/<run id>/<file name>``,
``snapshots/<sha256>``); names are validated before they become keys, and every store checks
again that a key cannot reach outside its folder, bucket or container (``checked_key``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from runhistory.errors import InvalidValueError


@runtime_checkable
class ArtifactStore(Protocol):
    """Where file contents live. Writes are atomic: a key holds a whole file or nothing."""

    location: str

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        """Store everything ``source`` yields under ``key``; return (size in bytes, sha256 hex)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A binary stream of the content at ``key`` (ArtifactNotFoundError if absent)."""
        ...

    def move(self, source_key: str, target_key: str) -> None:
        """Give the content at ``source_key`` the key ``target_key`` (replacing it)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def local_path(self, key: str) -> Path | None:
        """The file on this machine holding ``key``, when the store is a local folder."""
        ...


def checked_key(key: str) -> str:
    """``key`` if it is a relative POSIX path without empty, '.' or '..' parts.

    >>> checked_key("runs/r1/outputs/model.pkl")
    'runs/r1/outputs/model.pkl'
    >>> checked_key("runs/r1/../../other-bucket/x")
    Traceback (most recent call last):
    ...
    runhistory.errors.InvalidValueError: artifact key 'runs/r1/../../other-bucket/x' has an empty, '.' or '..' part, a backslash or NUL; keys are relative paths such as 'runs/<run id>/outputs/model.pkl'
    """
    parts = key.split("/")
    if "\\" in key or "\x00" in key or any(part in ("", ".", "..") for part in parts):
        raise InvalidValueError(
            f"artifact key {key!r} has an empty, '.' or '..' part, a backslash or NUL; keys are "
            "relative paths such as 'runs/<run id>/outputs/model.pkl'"
        )
    return key


_OBJECT_STORAGE_EXTRAS = {"az": "azure", "abfs": "azure", "abfss": "azure", "s3": "s3"}
_OBJECT_STORAGE_PACKAGES = {"azure": ("fsspec", "adlfs"), "s3": ("fsspec", "s3fs")}


def open_artifact_store(location: str | Path) -> ArtifactStore:
    """The artifact store at ``location``.

    A folder path or ``file://`` URL is a local folder; ``az://container/prefix`` and
    ``abfs://...`` are Azure Blob Storage (extra ``azure``), ``s3://bucket/prefix`` is S3
    (extra ``s3``).

    >>> open_artifact_store("ftp://host/files")
    Traceback (most recent call last):
    ...
    runhistory.errors.InvalidValueError: artifact location 'ftp://host/files' has unknown scheme 'ftp'; use a folder, file://, az://, abfs:// or s3://
    """
    text = str(location)
    scheme, separator, _ = text.partition("://")
    if not separator or scheme == "file":
        from runhistory.artifacts.local import LocalArtifactStore

        return LocalArtifactStore(Path(text[len("file://") :] if scheme == "file" else text))
    extra = _OBJECT_STORAGE_EXTRAS.get(scheme.lower())
    if extra is None:
        raise InvalidValueError(
            f"artifact location {text!r} has unknown scheme {scheme!r}; use a folder, file://, "
            "az://, abfs:// or s3://"
        )
    for package in _OBJECT_STORAGE_PACKAGES[extra]:
        if importlib.util.find_spec(package) is None:
            raise InvalidValueError(
                f"artifact location {text!r} needs the package {package!r}; "
                f"install runhistory[{extra}]"
            )
    from runhistory.artifacts.fsspec_store import FsspecArtifactStore

    return FsspecArtifactStore(text)
