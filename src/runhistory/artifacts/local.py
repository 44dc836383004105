"""Artifacts in a local folder: one file per key, written atomically (temporary file + rename).

>>> import io, tempfile
>>> store = LocalArtifactStore(Path(tempfile.mkdtemp()))
>>> store.put("runs/r1/a.txt", io.BytesIO(b"hi"))[0]
2
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from runhistory.artifacts.base import checked_key
from runhistory.errors import ArtifactNotFoundError

_COPY_BUFFER = 1024 * 1024


class LocalArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*checked_key(key).split("/"))

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                while block := source.read(_COPY_BUFFER):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise self._missing(key) from None

    def move(self, source_key: str, target_key: str) -> None:
        source, target = self._path(source_key), self._path(target_key)
        if not source.is_file():
            raise self._missing(source_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def _missing(self, key: str) -> ArtifactNotFoundError:
        return ArtifactNotFoundError(f"artifact {key!r} is missing from {self.location}")
