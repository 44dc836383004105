"""The interpreter a submitted run uses: the submitter's, one the user manages, or a virtual
environment built from pip requirements once per content hash and reused by later runs.

A built environment also sees the packages of the interpreter runhistory runs in (after its own),
so ``import runhistory`` works in the script without listing it.
"""

from __future__ import annotations

import hashlib
import site
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runhistory.errors import InvalidValueError


def interpreter_for(
    environment: dict[str, Any], state_dir: Path, report: Callable[[str], None]
) -> str:
    requirements = environment.get("pip_requirements")
    if environment.get("user_managed_dependencies") or not requirements:
        interpreter = environment.get("interpreter_path") or sys.executable
        if not Path(interpreter).exists():
            raise InvalidValueError(
                f"interpreter_path {interpreter!r} of environment {environment.get('name')!r} does not exist"
            )
        return str(interpreter)
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:16]
    folder = state_dir / "environments" / digest
    python = folder / "bin" / "python"
    ready = folder / ".ready"
    folder.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(folder.parent / f"{digest}.lock"):
        if ready.exists():
            report(f"Reusing environment {digest} ({len(requirements)} requirements)")
            return str(python)
        report(f"Building environment {digest} from {len(requirements)} pip requirements")
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True)
        _inherit_packages(folder)
        requirements_file = folder / "requirements.txt"
        requirements_file.write_text("\n".join(requirements) + "\n")
        result = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "-r",
                str(requirements_file),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise InvalidValueError(
                f"pip could not install the environment's requirements:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        ready.write_text("ok\n")
        report(f"Environment {digest} is ready")
    return str(python)


def _inherit_packages(folder: Path) -> None:
    """Put this interpreter's package folders after the environment's own (a .pth file)."""
    packages = next(folder.glob("lib/python*/site-packages"))
    # addsitedir (not a plain path) so that .pth files there, such as editable installs, apply.
    lines = [
        f"import site; site.addsitedir({p!r})" for p in site.getsitepackages() if Path(p).is_dir()
    ]
    (packages / "_runhistory_inherited.pth").write_text("\n".join(lines) + "\n")
