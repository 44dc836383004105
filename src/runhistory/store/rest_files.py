"""Files of a server workspace: streamed downloads and the snapshot blobs behind the
``ArtifactStore`` interface, and how names become URL paths."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from runhistory.errors import InvalidValueError

if TYPE_CHECKING:
    import httpx

    from runhistory.store.rest import RestStore

BLOCK = 1024 * 1024
# Keys the snapshot code uses (see runhistory.snapshot): uploads land under pending keys and
# are moved to the blob key named by their sha256, which the server computes itself.
BLOB_PREFIX = "snapshots/blobs/"
PENDING_PREFIX = "snapshots/pending/"


class RemoteBlobStore:
    """The ``ArtifactStore`` face of a server, for source snapshots only: blobs are uploaded
    whole and stored under the sha256 the server computes, so a pending key is only a name."""

    def __init__(self, store: RestStore) -> None:
        self._store = store
        self.location = store.location
        self._pending: dict[str, str] = {}

    def put(self, key: str, source: BinaryIO) -> tuple[int, str]:
        if not key.startswith(PENDING_PREFIX):
            raise InvalidValueError(
                f"a server workspace takes files through runs, not under key {key!r}"
            )
        found = self._store._json("POST", "/snapshot-blobs", content=blocks(source))
        self._pending[key] = found["sha256"]
        return int(found["size"]), str(found["sha256"])

    def move(self, source_key: str, target_key: str) -> None:
        sha256 = self._pending.get(source_key)
        if sha256 is None or target_key != BLOB_PREFIX + sha256:
            raise InvalidValueError(
                f"a server workspace stores blobs under their sha256; {source_key!r} cannot "
                f"become {target_key!r}"
            )

    def exists(self, key: str) -> bool:
        if not key.startswith(BLOB_PREFIX):
            return key in self._pending
        response = self._store._send("HEAD", f"/snapshot-blobs/{blobsegment(key)}", stream=False)
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise self._store._error(response)
        return True

    def delete(self, key: str) -> None:
        self._pending.pop(key, None)

    def open(self, key: str) -> BinaryIO:
        return self._store.open_stream(f"/snapshot-blobs/{blobsegment(key)}")

    def local_path(self, key: str) -> Path | None:
        return None


class ResponseStream(io.RawIOBase):
    """A streamed response body as a raw binary stream; closing it closes the response."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._blocks = response.iter_bytes()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            block = next(self._blocks, None)
            if block is None:
                return 0
            self._pending = block
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


def blocks(source: BinaryIO) -> Iterator[bytes]:
    while block := source.read(BLOCK):
        yield block


def segment(text: str) -> str:
    """``text`` as one path segment of a URL."""
    return quote(text, safe="")


def url_path(name: str) -> str:
    """A slash-separated name as URL path segments. A '.' or '..' segment is sent
    percent-encoded: HTTP clients resolve literal ones (``logs/../x`` would ask for another
    route), while the server decodes the encoded ones back into the name."""
    return "/".join(
        part.replace(".", "%2E") if part in (".", "..") else quote(part, safe="")
        for part in name.split("/")
    )


def blobsegment(key: str) -> str:
    if not key.startswith(BLOB_PREFIX):
        raise InvalidValueError(f"a server workspace has no blob under key {key!r}")
    return segment(key[len(BLOB_PREFIX) :])
