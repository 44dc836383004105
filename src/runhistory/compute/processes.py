"""Ending every process a run started: the script and all of its descendants.

A script's children may leave its process group (``setsid()``, daemons that fork twice), so
signalling the group is not enough. The launcher makes itself the *subreaper* of its descendants
where the system has one (Linux), so that orphans become its children instead of init's; it then
finds them all with psutil, whatever session or group they moved to. Everything here assumes the
calling process exists only to run one script (the launcher does): all its descendants are the
run's.

    become_subreaper()
    script = subprocess.Popen(command)
    ...
    stop_process_tree(script, grace=settings.cancel_grace_seconds)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

POLL_SECONDS = 0.05
# After SIGKILL, how long to wait for the kernel to take the processes away.
KILL_WAIT_SECONDS = 2.0
_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children (Linux); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def descendants() -> list[psutil.Process]:
    """Every living descendant of this process (the launcher's: its script and what that started)."""
    import psutil

    found = []
    with contextlib.suppress(psutil.Error):
        for process in psutil.Process().children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
    return found


def stop_process_tree(script: subprocess.Popen[bytes], grace: float) -> bool:
    """SIGTERM ``script`` and every descendant, wait up to ``grace`` seconds for all of them to
    end, then SIGKILL what is left. True when everything ended within the grace period.

    Processes started during the grace period are found and stopped too.
    """
    deadline = time.monotonic() + grace
    signalled: set[int] = set()
    while True:
        # Found again each round: a process forked since the last look is signalled too. The
        # first look comes before the script is signalled, while its children are still its own.
        living = _living(script)
        if not signalled:
            _signal_script(script, signal.SIGTERM)
        _signal([p for p in living if p.pid not in signalled], signal.SIGTERM)
        signalled.update(p.pid for p in living)
        signalled.add(script.pid)
        _reap_orphans(script)
        if not living and script.poll() is not None:
            return True
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_SECONDS)
    end = time.monotonic() + KILL_WAIT_SECONDS
    while time.monotonic() < end:
        living = _living(script)
        _signal_script(script, signal.SIGKILL)
        _signal(living, signal.SIGKILL)
        _reap_orphans(script)
        if not living and script.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    return False


def _signal_script(script: subprocess.Popen[bytes], signum: int) -> None:
    if script.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            script.send_signal(signum)


def _living(script: subprocess.Popen[bytes]) -> list[psutil.Process]:
    # The script itself is waited for through Popen (which keeps its exit code), not psutil.
    return [p for p in descendants() if p.pid != script.pid]


def _signal(processes: list[psutil.Process], signum: int) -> None:
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signum)  # psutil checks that the pid was not reused


def _reap_orphans(script: subprocess.Popen[bytes]) -> None:
    """Collect the exit status of orphans that ended as our children (subreaper), so that they
    do not stay zombies; the script's own status is left to Popen."""
    import psutil

    with contextlib.suppress(psutil.Error):
        for child in psutil.Process().children():
            if child.pid == script.pid:
                continue
            with contextlib.suppress(psutil.Error, ChildProcessError):
                if child.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(child.pid, os.WNOHANG)
