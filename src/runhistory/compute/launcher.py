"""The launcher: runs one submitted run from its snapshot to its final status.

    python -m runhistory.compute.launcher RUN_ID      (started by the target's agent)

It restores the snapshot into a fresh working folder with ``outputs/``, runs the script with the
run's identity in ``RUNHISTORY_*`` variables, tees stdout and stderr (interleaved, as written) into
``logs/std_log.txt`` and its own messages into ``logs/driver_log.txt``, beats the run's heartbeat,
stops the script on cancel or time limit (SIGTERM, then SIGKILL after a grace period), uploads
``outputs/`` and sets the final status from the exit code or the uncaught exception.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from runhistory.compute.local import process_environment, state_dir
from runhistory.compute.processes import become_subreaper, descendants, stop_process_tree
from runhistory.model import RunStatus
from runhistory.store.base import RunQuery
from runhistory.store.sql.store import ACTIVE_SUBMITTED

if TYPE_CHECKING:
    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace

STD_LOG = "logs/std_log.txt"
DRIVER_LOG = "logs/driver_log.txt"
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
WATCH_SECONDS = 0.1
# Capture reads up to a pipe-full at a time and stores what it has read past a few MiB.
CAPTURE_READ_BYTES = 1 << 16
CAPTURE_PENDING_BYTES = 4 << 20

log = logging.getLogger("runhistory")


class Launcher:
    def __init__(self, workspace: Workspace, run: Run) -> None:
        self.workspace = workspace
        self.run = run
        self.store = workspace.store
        self.settings = workspace.settings
        self.config: dict[str, Any] = run._refresh().config or {}
        self.folder = state_dir(workspace) / "work" / run.id
        self.stop_reason: dict[str, str] | None = None

    def driver(self, message: str) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        self.run._append_log(DRIVER_LOG, f"{stamp} {message}\n")

    def launch(self) -> int:
        self.driver(f"Launcher {os.getpid()} took the run on {os.uname().nodename}")
        try:
            command = self._prepare()
        except Exception as error:
            self.driver(f"Preparing the run failed: {error}")
            self._finish(
                RunStatus.FAILED,
                {"type": type(error).__name__, "message": f"preparing the run failed: {error}"},
            )
            return 0
        error_file = self.folder / ".runhistory_error.json"
        env = self._environment(error_file)
        self.driver(f"Starting: {' '.join(command)}")
        become_subreaper()  # the script's orphans stay ours to find and stop
        process = subprocess.Popen(
            command,
            cwd=self.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.store.set_status(
            self.run.id,
            RunStatus.RUNNING,
            started=time.time(),
            only_from=[RunStatus.PREPARING, RunStatus.STARTING],
        )
        assert process.stdout is not None
        tee = threading.Thread(target=self._tee, args=(process.stdout,), daemon=True)
        tee.start()
        code = self._supervise(process)
        self._stop_leftovers(process)
        tee.join(timeout=10)
        self.driver(f"The script exited with code {code}")
        self.store.set_status(
            self.run.id,
            RunStatus.FINALIZING,
            only_from=[RunStatus.RUNNING, RunStatus.NOT_RESPONDING],
        )
        self._upload_outputs()
        self._finish(*self._outcome(code, error_file))
        return 0

    def _prepare(self) -> list[str]:
        from runhistory.compute.environments import interpreter_for
        from runhistory.snapshot import restore_snapshot_folder

        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        snapshot_id = self.run.get_snapshot_id()
        if snapshot_id:
            restore_snapshot_folder(self.store, snapshot_id, self.folder)
        (self.folder / "outputs").mkdir(exist_ok=True)
        self.driver(f"Working folder {self.folder} holds snapshot {snapshot_id}")
        self.store.set_status(self.run.id, RunStatus.STARTING, only_from=[RunStatus.PREPARING])
        arguments = list(self.config.get("arguments") or [])
        command = self.config.get("command")
        if command is not None:
            return ["/bin/sh", "-c", command if isinstance(command, str) else " ".join(command)]
        interpreter = interpreter_for(
            self.config.get("environment") or {}, state_dir(self.workspace), self.driver
        )
        return [interpreter, "-u", str(BOOTSTRAP), self.config["script"], *arguments]

    def _environment(self, error_file: Path) -> dict[str, str]:
        env = process_environment(self.workspace)
        env.update(
            RUNHISTORY_RUN_ID=self.run.id,
            RUNHISTORY_EXPERIMENT=self.run.experiment.name,
            RUNHISTORY_ERROR_FILE=str(error_file),
            PYTHONUNBUFFERED="1",
        )
        return env

    def _tee(self, stream: IO[bytes]) -> None:
        """Copy the script's output into its log as it comes, in pieces of whole lines.

        Each read takes what the pipe holds (up to ``CAPTURE_READ_BYTES``), so a script printing
        fast costs one log append per pipe-full, not per line. Past ``CAPTURE_PENDING_BYTES`` not
        yet stored, capture stores them before reading on: the pipe fills and the script waits,
        so the launcher's memory stays bounded whatever the script prints.
        """
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        partial = ""
        pending = 0
        while True:
            data = os.read(stream.fileno(), CAPTURE_READ_BYTES)  # what the pipe holds, or EOF
            text = partial + decoder.decode(data, final=not data)
            # A line's end waits for its newline (unless it grows past a whole read).
            cut = len(text) if not data or len(text) >= CAPTURE_READ_BYTES else text.rfind("\n") + 1
            partial = text[cut:]
            if cut:
                self.run._append_log(STD_LOG, text[:cut])
                pending += cut
            if not data:
                return
            if pending >= CAPTURE_PENDING_BYTES:
                pending = 0
                self._store_captured()

    def _store_captured(self) -> None:
        try:
            self.workspace.writer.flush()
        except Exception as error:  # kept for the writer's next try; capture goes on
            log.warning("runhistory could not store the script's output yet: %s", error)

    def _supervise(self, process: subprocess.Popen[bytes]) -> int:
        started = time.monotonic()
        limit = float(self.config.get("max_run_duration_seconds") or 0)
        next_beat = 0.0
        while True:
            code = process.poll()
            if code is not None:
                return code
            now = time.monotonic()
            if now >= next_beat:
                self.store.update_run(self.run.id, heartbeat=time.time())
                next_beat = now + self.settings.heartbeat_interval
            if self.stop_reason is None:
                status = self.run.get_status()
                if status == RunStatus.CANCEL_REQUESTED.value:
                    self._stop(process, {"type": "Canceled", "message": "canceled by request"})
                elif limit and now - started > limit:
                    self._stop(
                        process,
                        {
                            "type": "TimeLimit",
                            "message": f"exceeded max_run_duration_seconds={limit:g}",
                        },
                    )
            time.sleep(WATCH_SECONDS)

    def _stop(self, process: subprocess.Popen[bytes], reason: dict[str, str]) -> None:
        self.stop_reason = reason
        grace = self.settings.cancel_grace_seconds
        self.driver(f"Stopping the script and its processes: {reason['message']} (SIGTERM)")
        if not stop_process_tree(process, grace):
            self.driver(f"The script or its processes outlived {grace:g} s of grace (SIGKILL)")

    def _stop_leftovers(self, process: subprocess.Popen[bytes]) -> None:
        """Processes the script started and left running end with the run (they would hold
        its output open, and nothing would ever stop them)."""
        left = descendants()
        if not left:
            return
        grace = self.settings.cancel_grace_seconds
        pids = ", ".join(str(p.pid) for p in left[:10])
        self.driver(f"Stopping {len(left)} processes the script left running: {pids} (SIGTERM)")
        if not stop_process_tree(process, grace):
            self.driver(f"Processes the script left outlived {grace:g} s of grace (SIGKILL)")

    def _upload_outputs(self) -> None:
        outputs = self.folder / "outputs"
        try:
            self.run._capture_outputs(outputs, since=None)
        except Exception as error:  # a failed upload is reported, the run's outcome stands
            self.driver(f"Uploading outputs failed: {error}")

    def _outcome(self, code: int, error_file: Path) -> tuple[RunStatus, dict[str, Any] | None]:
        if self.stop_reason is not None:
            return RunStatus.CANCELED, dict(self.stop_reason)
        if code == 0:
            return RunStatus.COMPLETED, None
        if error_file.exists():
            details: dict[str, Any] = json.loads(error_file.read_text())
            details["exitCode"] = code
            return RunStatus.FAILED, details
        if code < 0:
            name = signal.Signals(-code).name
            return RunStatus.FAILED, {
                "type": "Killed",
                "message": f"the script was killed by {name}",
                "exitCode": code,
            }
        return RunStatus.FAILED, {
            "type": "ExitCode",
            "message": f"the script exited with code {code}",
            "exitCode": code,
        }

    def _finish(self, status: RunStatus, error: dict[str, Any] | None) -> None:
        self.driver(f"Run ended: {status.value}")
        self.workspace.writer.flush()
        self.store.set_status(
            self.run.id, status, ended=time.time(), error=error, only_from=ACTIVE_SUBMITTED
        )
        shutil.rmtree(self.folder, ignore_errors=True)
        self._wake_agent_if_queued()

    def _wake_agent_if_queued(self) -> None:
        """An agent killed while runs were queued leaves them to whoever comes next: this launcher."""
        target = self.run._record.target or "local"
        if self.store.list_runs(RunQuery(target=target, statuses=[RunStatus.QUEUED], limit=1)):
            from runhistory.compute.base import get_compute_target

            get_compute_target(self.workspace, target).ensure_agent(self.workspace)


def launch_run(location: str, run_id: str, artifacts: str | None = None) -> int:
    """Run ``run_id`` of the workspace at ``location`` to its end; the launcher's exit code."""
    from runhistory.sdk.run import Run
    from runhistory.sdk.workspace import Workspace
    from runhistory.settings import Settings

    # Log lines must reach the store quickly: a printed line is readable within 0.5 s.
    settings = Settings.from_env()
    settings = dataclasses.replace(settings, flush_interval=min(settings.flush_interval, 0.2))
    workspace = Workspace(location, artifacts=artifacts, settings=settings)
    try:
        return Launcher(workspace, Run.get(workspace, run_id)).launch()
    finally:
        workspace.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m runhistory.compute.launcher RUN_ID`` with RUNHISTORY_WORKSPACE set."""
    from runhistory.settings import Settings

    settings = Settings.from_env()
    run_id = (argv or sys.argv[1:])[0]
    if not settings.workspace:
        raise SystemExit("set RUNHISTORY_WORKSPACE to the run's workspace")
    return launch_run(settings.workspace, run_id, settings.artifacts)


if __name__ == "__main__":
    sys.exit(main())
