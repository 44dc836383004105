"""The interface every artifact store implements, and the choice of one by location.

Keys are relative POSIX paths chosen by the store (``runs/<run id>/<file name>``,
``snapshots/<sha256>``); names are validated before they become keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


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


def open_artifact_store(location: str | Path) -> ArtifactStore:
    """The artifact store at ``location``: a folder path (or ``file://`` URL)."""
    from runhistory.artifacts.local import LocalArtifactStore

    text = str(location)
    if text.startswith("file://"):
        text = text[len("file://") :]
    return LocalArtifactStore(Path(text))
