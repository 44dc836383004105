"""Error responses as the OpenAPI document declares them: each a JSON ``{error_code, message}``.

Routes list the statuses they can answer besides success, so that a client (or a schema-driven
test) knows every response it may get and its body.

>>> sorted(error_responses(404, 422))
[404, 422]
"""

from __future__ import annotations

from typing import Any

from runhistory.server.schemas import ErrorDocument

_MEANINGS = {
    400: "A value was refused, or the body is not JSON (the message says which).",
    401: "The request carries no token, or one that is unknown or revoked.",
    403: "The token lacks the scope the request needs (read, write or admin).",
    404: "The run, experiment, file, snapshot or model asked for does not exist.",
    409: "The request contradicts what is stored; what is stored is kept.",
    411: "The JSON body does not say its length (Content-Length).",
    413: "The JSON body is larger than the server accepts; send smaller batches.",
    416: "The byte range asked for lies outside the file.",
    422: "The request does not match this document (the message names the field).",
}

# What a JSON request body may be refused for before the route sees it: not JSON (400), no
# length or too long (411, 413, see ``limits.py``), not as this document describes it (422).
JSON_BODY = (400, 411, 413, 422)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``statuses``, each with the error document as its body."""
    return {
        status: {"model": ErrorDocument, "description": _MEANINGS[status]} for status in statuses
    }
