"""What an interactive run records about where it was started: the script (or notebook) and its
arguments, and the git state of its source folder.

In a Jupyter kernel ``sys.argv`` is the kernel's own (``ipykernel_launcher.py -f kernel.json``):
recording it would make every notebook run differ from the next in ``history compare``. A run
started in a kernel records the notebook instead (its file name when the front end tells it) and
no arguments.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NOTEBOOK = "notebook"
"""The script name of a run started in a notebook whose file name is not known."""

_KERNEL_LAUNCHERS = ("ipykernel_launcher.py", "ipykernel_launcher", "kernel.py")


def script_and_arguments(argv: list[str] | None = None) -> tuple[str | None, list[str]]:
    """The script name and arguments to record for an interactive run started now.

    >>> script_and_arguments(["train.py", "--alpha", "0.1"])
    ('train.py', ['--alpha', '0.1'])
    >>> script_and_arguments(["/x/ipykernel_launcher.py", "-f", "/tmp/kernel-1.json"])[1]
    []
    """
    argv = sys.argv if argv is None else argv
    if not argv or not argv[0]:
        return None, []
    if _in_kernel(argv):
        return _notebook_name(), []
    return Path(argv[0]).name, list(argv[1:])


def _in_kernel(argv: list[str]) -> bool:
    return Path(argv[0]).name in _KERNEL_LAUNCHERS and (
        "ipykernel" in sys.modules or "-f" in argv or any(a.endswith(".json") for a in argv)
    )


def _notebook_name() -> str:
    """The notebook's file name: VS Code puts its path in the kernel's namespace as
    ``__vsc_ipynb_file__``; Jupyter Server (2.x) in ``JPY_SESSION_NAME``."""
    path = _vscode_notebook() or os.environ.get("JPY_SESSION_NAME")
    if path and path.endswith(".ipynb"):
        return Path(path).name
    return NOTEBOOK


def _vscode_notebook() -> str | None:
    main = sys.modules.get("__main__")
    value = getattr(main, "__vsc_ipynb_file__", None)
    if isinstance(value, str):
        return value
    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    if get_ipython is None:
        return None
    ipython = get_ipython()
    namespace = getattr(ipython, "user_ns", None) or {}
    value = namespace.get("__vsc_ipynb_file__")
    return value if isinstance(value, str) else None


def current_user() -> str:
    """Who starts or submits a run (``submittedBy`` of ``get_details()``): the login name."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
