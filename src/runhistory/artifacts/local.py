"""Artifacts in a local folder: one file per key, written atomically (temporary file + rename).

A process killed while it writes leaves its temporary file (``.upload-<pid>-<host>-*``) or an
upload not yet moved to its place (``pending/<id>``) behind; opening the store removes those whose
writer is gone (``remove_stale_uploads``).

>>> import io, tempfile
>>> store = LocalArtifactStore(Path(tempfile.mkdtemp()))
>>> store.put("runs/r1/a.txt", io.BytesIO(b"hi"))[0]
2
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from runhistory.artifacts.base import checked_key
from runhistory.errors import ArtifactNotFoundError

_COPY_BUFFER = 1024 * 1024
# Folders whose files are uploads in progress: every put writes under one of them first.
PENDING_FOLDERS = ("pending", "snapshots/pending")
# An upload whose writer cannot be seen (another machine sharing the folder, a file of an older
# version) is abandoned once it has not been written for this long.
STALE_UPLOAD_SECONDS = 3600.0
_TEMPORARY = ".upload-"

log = logging.getLogger("runhistory")


class LocalArtifactStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)
        remove_stale_uploads(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*checked_key(key).split("/"))

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=_owner_prefix())
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


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _owner_prefix() -> str:
    """The start of a temporary file's name: the process and machine writing it."""
    return f"{_TEMPORARY}{os.getpid()}-{_host()}-"


def remove_stale_uploads(root: Path, max_age: float = STALE_UPLOAD_SECONDS) -> int:
    """Remove the partial uploads under ``root``'s pending folders whose writer is gone: a
    temporary file of a process of this machine that no longer runs, or any upload not written
    for ``max_age`` seconds. Returns how many bytes were freed.

    >>> import tempfile
    >>> remove_stale_uploads(Path(tempfile.mkdtemp()))
    0
    """
    freed = 0
    oldest = time.time() - max_age
    host = _host()
    for folder in PENDING_FOLDERS:
        try:
            entries = list(os.scandir(root.joinpath(*folder.split("/"))))
        except OSError:  # no such folder yet
            continue
        for entry in entries:
            try:
                stat = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # finished (moved or removed) meanwhile
            if not entry.is_file(follow_symlinks=False):
                continue
            if stat.st_mtime >= oldest and not _owner_is_gone(entry.name, host):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                freed += stat.st_size
    if freed:
        log.info("runhistory removed %d bytes of abandoned uploads under %s", freed, root)
    return freed


def _owner_is_gone(name: str, host: str) -> bool:
    """Whether ``name`` is a temporary file written by a process of this machine that has
    exited (False when it cannot tell: another machine, or a name of an older version)."""
    if not name.startswith(_TEMPORARY):
        return False
    pid, _, rest = name[len(_TEMPORARY) :].partition("-")
    if not pid.isdigit() or not rest.startswith(host + "-"):
        return False
    return not _process_runs(int(pid))


def _process_runs(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill would end it there; leave the file to the age limit
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True
