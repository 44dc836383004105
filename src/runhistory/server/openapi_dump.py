"""Write the server's OpenAPI document, from which the studio's TypeScript types are generated.

``python -m runhistory.server.openapi_dump web/openapi.json`` (then ``npm run gen-api`` in
``web/``); starts no server and opens no workspace of its own but a temporary one.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def openapi_document() -> dict[str, object]:
    """The OpenAPI document of a server with auth on (it declares the refusals too)."""
    from runhistory.server.app import create_app
    from runhistory.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Settings(workspace=folder), auth=True)
        document: dict[str, object] = app.openapi()
        app.state.store.close()
    return document


def main(argv: list[str]) -> None:
    text = json.dumps(openapi_document(), indent=1, sort_keys=True) + "\n"
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
