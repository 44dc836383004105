"""Build the studio (``web/``, Vite) into ``src/runhistory/ui`` when the package is built.

Runs ``npm ci`` and ``npm run build`` for wheels, sdists and editable installs, so that one
``pip install`` gives the whole product. Without npm, an existing build is used as it is; with
neither, the build fails and says what to install (set RUNHISTORY_SKIP_STUDIO=1 to build the
Python package alone: the server then answers '/' with how to build the studio).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class StudioBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        web = root / "web"
        built = root / "src" / "runhistory" / "ui" / "index.html"
        if os.environ.get("RUNHISTORY_SKIP_STUDIO") == "1" or not web.is_dir():
            return  # an sdist being built into a wheel carries the build it was made with
        npm = shutil.which("npm")
        if npm is None:
            if built.is_file():
                return
            raise RuntimeError(
                "building runhistory needs Node 20 and npm to build the studio (web/); "
                "install them, or set RUNHISTORY_SKIP_STUDIO=1 to build without the studio"
            )
        if not (web / "node_modules").is_dir() or _newer(
            web / "package-lock.json", web / "node_modules"
        ):
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=web, check=True)
        subprocess.run([npm, "run", "build"], cwd=web, check=True)


def _newer(path: Path, than: Path) -> bool:
    return path.stat().st_mtime > than.stat().st_mtime
