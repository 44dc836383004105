"""Artifacts in object storage through fsspec: Azure Blob (adlfs) and S3 (s3fs).

A put streams the source in blocks to a temporary key while hashing it, then moves the
temporary key to the final one, so a key holds a whole file or nothing. Credentials come from
the backend's usual places (for Azure, ``AZURE_STORAGE_CONNECTION_STRING`` or
``AZURE_STORAGE_ACCOUNT_NAME``/``..._KEY``; for S3, the AWS variables and files) or from
``storage_options``.

>>> store = FsspecArtifactStore("az://runs/team")  # doctest: +SKIP
>>> store.put("runs/r1/a.txt", io.BytesIO(b"hi"))  # doctest: +SKIP
(2, '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4')
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

from runhistory.errors import ArtifactNotFoundError, StoreError

READ_BLOCK = 1024 * 1024
# Object stores upload in parts; a part of this size is the most a put holds in memory.
UPLOAD_BLOCK = 8 * 1024 * 1024
_UPLOAD_PREFIX = ".uploads/"


class FsspecArtifactStore:
    """Artifacts under ``url`` (``az://container/prefix``, ``abfs://...``, ``s3://bucket/prefix``)."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        import fsspec.core

        self.location = url
        fs, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        self._fs: Any = fs
        self._root = str(root).rstrip("/")

    def _path(self, key: str) -> str:
        return f"{self._root}/{key}"

    @contextlib.contextmanager
    def _storage_errors(self, key: str) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError:
            raise ArtifactNotFoundError(
                f"artifact {key!r} is missing from {self.location}"
            ) from None
        except OSError as error:
            raise StoreError(
                f"artifact storage {self.location} failed for {key!r}: {error}; check the "
                "location and its credentials"
            ) from error

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        temporary = self._path(_UPLOAD_PREFIX + uuid.uuid4().hex)
        digest = hashlib.sha256()
        size = 0
        try:
            with self._storage_errors(key):
                out = self._fs.open(temporary, "wb", block_size=UPLOAD_BLOCK)
            try:
                while block := source.read(READ_BLOCK):
                    digest.update(block)
                    size += len(block)
                    with self._storage_errors(key):
                        out.write(block)
            except BaseException:
                # Closing commits the partial upload to the temporary key, removed below; an
                # unclosed file would commit it later, when garbage collected.
                with contextlib.suppress(Exception):
                    out.close()
                raise
            with self._storage_errors(key):
                out.close()
                self._fs.mv(temporary, self._path(key))
        except BaseException:
            # The temporary key may hold a partial upload; the original error matters more.
            with contextlib.suppress(Exception):
                self._remove(temporary)
            raise
        return size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        with self._storage_errors(key):
            return cast(BinaryIO, self._fs.open(self._path(key), "rb"))

    def move(self, source_key: str, target_key: str) -> None:
        with self._storage_errors(source_key):
            self._fs.mv(self._path(source_key), self._path(target_key))

    def exists(self, key: str) -> bool:
        with self._storage_errors(key):
            return bool(self._fs.isfile(self._path(key)))

    def delete(self, key: str) -> None:
        with self._storage_errors(key):
            self._remove(self._path(key))

    def local_path(self, key: str) -> Path | None:
        return None

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._fs.rm_file(path)

    def __repr__(self) -> str:
        return f"FsspecArtifactStore({self.location!r})"
