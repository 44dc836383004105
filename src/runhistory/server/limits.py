"""A ceiling on request bodies other than file uploads, checked before the body is read.

JSON requests (write batches included) are parsed whole, so their size is bounded up front;
file uploads stream to disk and have their own limit (``streaming.MAX_UPLOAD_BYTES``).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from runhistory.errors import InvalidValueError

MAX_JSON_BYTES = 64 * 1024 * 1024
_STREAMED = ("/artifacts/", "/snapshot-blobs")


class BodyLimit:
    """Refuses (413) a request whose declared body exceeds ``limit`` bytes, or (411) one that
    sends a body without saying its length, before the app reads any of it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_JSON_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "DELETE"):
            await self.app(scope, receive, send)
            return
        if any(part in scope["path"] for part in _STREAMED):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        # Without Content-Length or Transfer-Encoding a request has no body (RFC 9112).
        no_body = length is None and b"transfer-encoding" not in headers
        # int() of thousands of digits fails: a length that long is too large anyway.
        if no_body or (
            length is not None
            and length.isdigit()
            and len(length) < 19
            and int(length) <= self.limit
        ):
            await self.app(scope, receive, send)
            return
        problem = (
            f"the request body is larger than {self.limit} bytes; send smaller batches"
            if length is not None
            else "the request does not say its length (Content-Length); send it with one"
        )
        # ``limit`` lets a client fit its next requests (see RestStore.deliver).
        document: dict[str, object] = {
            "error_code": InvalidValueError.error_code,
            "message": problem,
        }
        if length is not None:
            document["limit"] = self.limit
        body = json.dumps(document)
        status = 413 if length is not None else 411
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
