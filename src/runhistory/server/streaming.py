"""Request bodies to temporary files and stored files to (ranged) responses, block by block.

An upload is spooled (in memory up to ``SPOOL_MEMORY``, then on disk) before it reaches the
store, which needs a blocking stream; a download is read from the store a block at a time.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from typing import BinaryIO, cast

from starlette.requests import Request
from starlette.responses import StreamingResponse

from runhistory.errors import InvalidValueError

BLOCK = 1024 * 1024
SPOOL_MEMORY = 8 * 1024 * 1024
MAX_UPLOAD_BYTES = 64 * 1024**3

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


async def spool_body(request: Request) -> BinaryIO:
    """The request body in a temporary file positioned at its start."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 (returned)
    size = 0
    try:
        async for block in request.stream():
            size += len(block)
            if size > MAX_UPLOAD_BYTES:
                raise InvalidValueError(
                    f"the upload is larger than {MAX_UPLOAD_BYTES} bytes; split it into files"
                )
            spool.write(block)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return cast(BinaryIO, spool)


def stream_file(
    source: BinaryIO, size: int, content_type: str, range_header: str | None
) -> StreamingResponse:
    """``source`` (``size`` bytes) as a response, or the part a ``Range: bytes=a-b`` asks for."""
    headers = {"Accept-Ranges": "bytes"}
    start, end = 0, size - 1
    status = 200
    if range_header:
        wanted = _parse_range(range_header, size)
        if wanted is None:
            source.close()
            return StreamingResponse(
                iter(()), status_code=416, headers={"Content-Range": f"bytes */{size}"}
            )
        start, end = wanted
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(max(end - start + 1, 0))
    return StreamingResponse(
        _blocks(source, start, end + 1),
        status_code=status,
        media_type=content_type,
        headers=headers,
    )


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single-range header; None when it cannot be satisfied."""
    match = _RANGE.match(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0:
            return None
        return max(size - length, 0), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if start >= size or end < start:
        return None
    return start, end


def _blocks(source: BinaryIO, start: int, stop: int) -> Iterator[bytes]:
    try:
        if start:
            source.seek(start)
        remaining = stop - start
        while remaining > 0:
            block = source.read(min(BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block
    finally:
        source.close()
