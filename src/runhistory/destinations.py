"""Where a name read from a store lands on the reader's disk: always inside the folder asked for.

Names of run files, logs, snapshot entries and model files come from a store; for a server
workspace they are input from the network, and a database can hold rows written before names
were checked. Each name is joined to its destination folder, resolved (following symlinks that
already exist there) and compared with the resolved folder, so that neither an absolute name, a
``..`` part (POSIX or Windows spelling) nor a symlink in the folder leads a write elsewhere.

>>> path_inside("out", "logs/std_log.txt").as_posix()
'out/logs/std_log.txt'
>>> path_inside("out", "../.bashrc")
Traceback (most recent call last):
...
runhistory.errors.UnsafeFileNameError: refused to write '../.bashrc' into 'out': it has a '..' part
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from runhistory.errors import UnsafeFileNameError


def path_inside(folder: str | os.PathLike[str], name: str) -> Path:
    """``folder / name``, or ``UnsafeFileNameError`` when that path is not inside ``folder``."""
    root = Path(folder)
    problem = _name_problem(name)
    target = root / name
    if problem is None:
        resolved_root = root.resolve()
        resolved = target.resolve()
        if resolved == resolved_root or not resolved.is_relative_to(resolved_root):
            problem = f"it resolves to {str(resolved)!r}, outside {str(resolved_root)!r}"
    if problem is not None:
        raise UnsafeFileNameError(f"refused to write {name!r} into {str(folder)!r}: {problem}")
    return target


def _name_problem(name: str) -> str | None:
    if not isinstance(name, str) or not name or "\x00" in name:
        return "it is empty or holds NUL"
    for flavour in (PurePosixPath(name), PureWindowsPath(name)):
        if flavour.anchor:
            return "it is an absolute path"
        if ".." in flavour.parts:
            return "it has a '..' part"
    return None


class RefusedNames:
    """Names a download left out because ``path_inside`` refused them: a download writes every
    other file, then ``raise_if_any`` reports the refused ones in one error."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def refuse(self, error: UnsafeFileNameError) -> None:
        self.problems.append(error.message)

    def raise_if_any(self, what: str, written: int) -> None:
        if self.problems:
            raise UnsafeFileNameError(
                f"{what}: {_files(len(self.problems))} not written because "
                f"{'its name leads' if len(self.problems) == 1 else 'their names lead'} outside "
                f"the destination ({'; '.join(self.problems)}); the other {_files(written)} "
                "written"
            )


def _files(number: int) -> str:
    return "1 file was" if number == 1 else f"{number} files were"
