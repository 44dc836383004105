"""The local compute target: an agent process per workspace and target claims queued runs and
starts a launcher process for each, never more at once than the target's limit.

The agent is started on demand by ``submit`` (detached, so runs go on after the submitting
process exits), holds a lock file so there is one per workspace and target, and exits after a
while with nothing to do. Launchers run in their own sessions: an agent that dies leaves its runs
running, and the next agent (started by the next submit, or by a launcher that ends while runs
are queued) picks up the queue.

    python -m runhistory.compute.agent --target local     (RUNHISTORY_WORKSPACE names the workspace)
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from runhistory.model import RunStatus
from runhistory.store.base import RunQuery
from runhistory.store.sql.store import ACTIVE_SUBMITTED

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from runhistory.sdk.workspace import Workspace

log = logging.getLogger("runhistory")

# Missed heartbeats before a run is NotResponding, and before it is Failed.
NOT_RESPONDING_AFTER = 3
FAILED_AFTER = 6


class LocalTarget:
    def __init__(self, name: str, max_concurrent_runs: int) -> None:
        self.name = name
        self.max_concurrent_runs = max_concurrent_runs

    def ensure_agent(self, workspace: Workspace) -> None:
        """Start this target's agent unless one is running."""
        from filelock import FileLock, Timeout

        lock_path = agent_lock_path(workspace, self.name)
        lock = FileLock(lock_path)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            return  # an agent holds it
        lock.release()
        start_detached(
            [sys.executable, "-m", "runhistory.compute.agent", "--target", self.name],
            workspace,
            lock_path.with_suffix(".log"),
        )

    def __repr__(self) -> str:
        return f"LocalTarget(name={self.name!r}, max_concurrent_runs={self.max_concurrent_runs})"


def state_dir(workspace: Workspace) -> Path:
    """Where this machine keeps working folders, environments and agent locks of a workspace."""
    if workspace.is_embedded:
        folder = Path(workspace.location)
    else:
        digest = hashlib.sha256(workspace.location.encode()).hexdigest()[:16]
        folder = Path.home() / ".cache" / "runhistory" / digest
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def agent_lock_path(workspace: Workspace, target: str) -> Path:
    folder = state_dir(workspace) / "agents"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{target}.lock"


def process_environment(workspace: Workspace) -> dict[str, str]:
    """The environment for processes that work on ``workspace`` (its location, its artifacts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUNHISTORY_")}
    env["RUNHISTORY_WORKSPACE"] = workspace.location
    artifacts = workspace._artifacts or workspace.settings.artifacts
    if artifacts:
        env["RUNHISTORY_ARTIFACTS"] = artifacts
    for name, value in (
        ("RUNHISTORY_HEARTBEAT_INTERVAL", workspace.settings.heartbeat_interval),
        ("RUNHISTORY_CANCEL_GRACE_SECONDS", workspace.settings.cancel_grace_seconds),
        ("RUNHISTORY_AGENT_IDLE_SECONDS", workspace.settings.agent_idle_seconds),
        ("RUNHISTORY_AGENT_POLL_SECONDS", workspace.settings.agent_poll_seconds),
        ("RUNHISTORY_STUDIO_URL", workspace.settings.studio_url),
    ):
        if value is not None:
            env[name] = str(value)
    return env


def start_detached(
    command: list[str], workspace: Workspace, log_path: Path
) -> subprocess.Popen[bytes]:
    with open(log_path, "ab") as out:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env=process_environment(workspace),
        )


class LocalAgent:
    """Claims the queue of one target of one workspace and supervises the launchers it starts."""

    def __init__(self, workspace: Workspace, target: LocalTarget) -> None:
        self.workspace = workspace
        self.target = target
        self.store = workspace.store
        self.settings = workspace.settings
        self.launchers: dict[str, int] = {}  # run id -> launcher pid

    def serve(self) -> None:
        from filelock import FileLock

        # The holder's pid is written into the lock file for people and tools to see.
        lock = FileLock(agent_lock_path(self.workspace, self.target.name), on_acquired=_write_pid)
        if not _try_lock(lock):
            return
        while True:
            self._serve_until_idle()
            lock.release()
            # A run queued while the lock was held but after the last look would wait for
            # nobody: look once more now that a submitter can start a new agent.
            if not self._queued() or not _try_lock(lock):
                return

    def _serve_until_idle(self) -> None:
        idle_since = time.monotonic()
        next_heartbeat_check = 0.0
        while True:
            self._reap()
            now = time.monotonic()
            if now >= next_heartbeat_check:
                self._check_heartbeats()
                next_heartbeat_check = now + self.settings.heartbeat_interval / 2
            # Claiming is a write transaction: look (a read, which never blocks the processes
            # logging into the workspace) before taking the write lock.
            queued = self._queued()
            if queued and len(self.launchers) < self.target.max_concurrent_runs:
                for record in self.store.claim_runs(
                    self.target.name, self.target.max_concurrent_runs
                ):
                    self._launch(record.id)
            if self.launchers or queued:
                idle_since = now
            elif now - idle_since >= self.settings.agent_idle_seconds:
                return
            time.sleep(self.settings.agent_poll_seconds)

    def _queued(self) -> bool:
        query = RunQuery(target=self.target.name, statuses=[RunStatus.QUEUED], limit=1)
        return bool(self.store.list_runs(query))

    def _launch(self, run_id: str) -> None:
        """Fork a launcher: the agent has everything imported already, so a run starts in
        milliseconds instead of paying for a new interpreter. The agent has no threads, which
        keeps fork safe. The child does not hold the agent lock: filelock closes a lock's
        descriptor in a forked child, so the lock goes when the agent goes."""
        folder = state_dir(self.workspace) / "logs"
        folder.mkdir(exist_ok=True)
        log_path = folder / f"launcher-{run_id}.log"
        pid = os.fork()
        if pid == 0:  # the launcher
            code = 1
            try:
                os.setsid()  # runs outlive the agent
                output = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(output, 1)
                os.dup2(output, 2)
                from runhistory.compute.launcher import launch_run

                code = launch_run(self.workspace.location, run_id, self.workspace._artifacts)
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        self.launchers[run_id] = pid

    def _reap(self) -> None:
        for run_id, pid in list(self.launchers.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done == 0:
                continue
            code = os.waitstatus_to_exitcode(status)
            del self.launchers[run_id]
            if code != 0:
                self.store.set_status(
                    run_id,
                    RunStatus.FAILED,
                    ended=time.time(),
                    error={
                        "type": "LauncherError",
                        "message": f"the run's launcher exited unexpectedly (code {code})",
                    },
                    only_from=ACTIVE_SUBMITTED,
                )

    def _check_heartbeats(self) -> None:
        """Runs of this target whose launcher stopped beating: NotResponding, then Failed."""
        interval = self.settings.heartbeat_interval
        now = time.time()
        for record in self.store.list_runs(
            RunQuery(target=self.target.name, statuses=ACTIVE_SUBMITTED)
        ):
            if record.id in self.launchers:
                continue
            silent = now - (record.heartbeat or record.created)
            if silent > FAILED_AFTER * interval:
                self.store.set_status(
                    record.id,
                    RunStatus.FAILED,
                    ended=now,
                    error={
                        "type": "LostHeartbeat",
                        "message": f"no heartbeat for {silent:.0f} s; the run's process is gone",
                    },
                    only_from=ACTIVE_SUBMITTED,
                )
            elif (
                silent > NOT_RESPONDING_AFTER * interval
                and record.status is not RunStatus.NOT_RESPONDING
            ):
                self.store.set_status(
                    record.id,
                    RunStatus.NOT_RESPONDING,
                    only_from=[s for s in ACTIVE_SUBMITTED if s is not RunStatus.NOT_RESPONDING],
                )


def _try_lock(lock: BaseFileLock) -> bool:
    """Take the agent lock unless another agent holds it."""
    from filelock import Timeout

    try:
        lock.acquire(blocking=False)
    except Timeout:
        return False
    return True


def _write_pid(descriptor: int) -> None:
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
