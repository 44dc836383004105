"""Artifacts in object storage through fsspec: Azure Blob (adlfs) and S3 (s3fs).

A put streams the source in blocks to a temporary key while hashing it, then moves the
temporary key to the final one, so a key holds a whole file or nothing. Reads fetch ranges of
``TRANSFER_BLOCK`` bytes, so a large file streams and a seek reads only around the new position.
Credentials and endpoints come from the backend's usual places (for Azure,
``AZURE_STORAGE_CONNECTION_STRING`` or ``AZURE_STORAGE_ACCOUNT_NAME``/``..._KEY``; for S3, the AWS
variables and files: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL_S3``,
``AWS_PROFILE``...) or from ``storage_options``.

>>> store = FsspecArtifactStore("s3://team-bucket/runhistory")  # doctest: +SKIP
>>> store.put("runs/r1/a.txt", io.BytesIO(b"hi"))  # doctest: +SKIP
(2, '8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4')
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, cast

from runhistory.artifacts.base import checked_key
from runhistory.errors import ArtifactNotFoundError, StoreError

READ_BLOCK = 1024 * 1024
# Object stores upload in parts and download in ranged requests. A block of this size bounds
# what one stream holds in memory; the backends' default, 50 MiB, is more than most whole files.
TRANSFER_BLOCK = 8 * 1024 * 1024
_UPLOAD_PREFIX = ".uploads/"
_CLIENT_ERRORS = (
    ("botocore.exceptions", ("BotoCoreError", "ClientError")),
    ("azure.core.exceptions", ("AzureError",)),
)


class FsspecArtifactStore:
    """Artifacts under ``url`` (``az://container/prefix``, ``abfs://...``, ``s3://bucket/prefix``)."""

    def __init__(self, url: str, storage_options: Mapping[str, Any] | None = None) -> None:
        import fsspec.core

        self.location = url
        fs, root = fsspec.core.url_to_fs(url, **dict(storage_options or {}))
        self._fs: Any = fs
        self._root = str(root).rstrip("/")

    def _path(self, key: str) -> str:
        return f"{self._root}/{checked_key(key)}"

    @contextlib.contextmanager
    def _storage_errors(self, key: str, *, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except FileNotFoundError as error:
            if writing:
                raise StoreError(
                    f"artifact storage {self.location} cannot store {key!r}: {error}; create the "
                    "bucket or container first"
                ) from error
            raise ArtifactNotFoundError(
                f"artifact {key!r} is missing from {self.location}"
            ) from None
        except Exception as error:
            if not _is_storage_failure(error):
                raise
            raise StoreError(
                f"artifact storage {self.location} failed for {key!r}: {error}; check the "
                "location, the endpoint and its credentials"
            ) from error

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        final = self._path(key)
        temporary = self._path(_UPLOAD_PREFIX + uuid.uuid4().hex)
        digest = hashlib.sha256()
        size = 0
        try:
            with self._storage_errors(key, writing=True):
                out = self._fs.open(temporary, "wb", block_size=TRANSFER_BLOCK)
            try:
                while block := source.read(READ_BLOCK):
                    digest.update(block)
                    size += len(block)
                    with self._storage_errors(key, writing=True):
                        out.write(block)
            except BaseException:
                # Closing commits the partial upload to the temporary key, removed below; an
                # unclosed file would commit it later, when garbage collected.
                with contextlib.suppress(Exception):
                    out.close()
                raise
            with self._storage_errors(key, writing=True):
                out.close()
                self._fs.mv(temporary, final)
        except BaseException:
            # The temporary key may hold a partial upload; the original error matters more.
            with contextlib.suppress(Exception):
                self._remove(temporary)
            raise
        return size, digest.hexdigest()

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        with self._storage_errors(key):
            stream = self._fs.open(path, "rb", block_size=TRANSFER_BLOCK, cache_type="readahead")
        return cast(BinaryIO, stream)

    def move(self, source_key: str, target_key: str) -> None:
        source, target = self._path(source_key), self._path(target_key)
        with self._storage_errors(source_key):
            self._fs.mv(source, target)

    def exists(self, key: str) -> bool:
        path = self._path(key)
        # Not ``isfile``: it answers False for any failure, an unreachable endpoint included.
        with self._storage_errors(key):
            try:
                info = self._fs.info(path)
            except FileNotFoundError:
                return False
        return bool(info["type"] == "file")

    def delete(self, key: str) -> None:
        path = self._path(key)
        with self._storage_errors(key):
            self._remove(path)

    def local_path(self, key: str) -> Path | None:
        checked_key(key)
        return None

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._fs.rm_file(path)

    def __repr__(self) -> str:
        return f"FsspecArtifactStore({self.location!r})"


def _is_storage_failure(error: BaseException) -> bool:
    """Whether ``error`` (or what it wraps) comes from the storage service or its client."""
    failures = _storage_failure_types()
    return isinstance(error, failures) or isinstance(error.__cause__, failures)


def _storage_failure_types() -> tuple[type[BaseException], ...]:
    # The clients' own errors reach us unwrapped in places: botocore's NoCredentialsError, or
    # azure-core's errors (sometimes inside a RuntimeError from adlfs).
    types: list[type[BaseException]] = [OSError]
    for module_name, class_names in _CLIENT_ERRORS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        types += [getattr(module, name) for name in class_names]
    return tuple(types)
