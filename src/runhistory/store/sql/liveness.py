"""Runs whose process went quiet: NotResponding after a short silence, Failed after a long one.

Every active run beats a heartbeat (the writer of an interactive run, the launcher of a submitted
one). The store decides from those beats, not the process that should have sent them (which may be
gone): ``RunWatch.sweep`` marks Running runs silent for ``not_responding_seconds`` NotResponding
and runs silent for ``lost_run_seconds`` Failed, with the reason and the last heartbeat as their
end. The store sweeps before it answers a read of runs, at most once per ``SWEEP_EVERY`` seconds,
so whoever reads (a script, the CLI, the studio through the server) sees the same status. A
heartbeat (or stored points) of a run marked so makes it Running again (``revive``).

>>> watch = RunWatch(not_responding_seconds=60, lost_run_seconds=600)
>>> watch.not_responding_seconds
60
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable

from runhistory.model import RunStatus
from runhistory.store.sql.database import Cursor, Database

# The most often one store looks for silent runs; a read in between answers from the last look.
SWEEP_EVERY = 1.0
# When a run last showed life: its heartbeat, else its start, else its creation.
_LAST_SIGN = "COALESCE(heartbeat, started, created)"
_WATCHED = (RunStatus.RUNNING.value, RunStatus.NOT_RESPONDING.value)
# Runs logged by MLflow clients are not watched: those clients send no heartbeats, and MLflow
# leaves a run RUNNING until its client ends it (a notebook may log once an hour).
_UNWATCHED_TYPE = "mlflow"
LOST_HEARTBEAT = "LostHeartbeat"
# How the error of a run failed by ``sweep`` starts (json.dumps keeps the key order).
_LOST_ERROR_START = json.dumps({"type": LOST_HEARTBEAT})[:-1]


class RunWatch:
    """The two silences after which a run is NotResponding and Failed, and the sweep itself."""

    def __init__(self, not_responding_seconds: float, lost_run_seconds: float) -> None:
        self.not_responding_seconds = not_responding_seconds
        self.lost_run_seconds = max(lost_run_seconds, not_responding_seconds)
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def sweep_if_due(self, db: Database) -> None:
        """``sweep`` unless this store swept less than ``SWEEP_EVERY`` seconds ago."""
        now = time.monotonic()
        with self._lock:
            if now < self._next_sweep:
                return
            self._next_sweep = now + SWEEP_EVERY
        self.sweep(db)

    def sweep(self, db: Database) -> None:
        """Mark silent runs NotResponding or Failed. A cheap read finds them; only when there
        are some does it write (each update checks the silence again, so a heartbeat that
        arrived in between wins)."""
        now = time.time()
        silent = db.read(
            lambda c: c.execute(
                f"SELECT id, status, {_LAST_SIGN} FROM runs WHERE status IN (?, ?) "
                f"AND {_LAST_SIGN} < ? AND run_type != ?",
                (*_WATCHED, now - self.not_responding_seconds, _UNWATCHED_TYPE),
            ).fetchall()
        )
        if not silent:
            return
        lost = [row for row in silent if row[2] < now - self.lost_run_seconds]
        quiet = [
            row
            for row in silent
            if row[1] == RunStatus.RUNNING.value and row[2] >= now - self.lost_run_seconds
        ]

        def mark(cursor: Cursor) -> None:
            for run_id, _, last in lost:
                error = {
                    "type": LOST_HEARTBEAT,
                    "message": f"no heartbeat for {now - last:.0f} s (the limit is "
                    f"RUNHISTORY_LOST_RUN_SECONDS={self.lost_run_seconds:g}); the run's "
                    "process stopped without ending the run (killed, crashed, or cut off)",
                }
                cursor.execute(
                    f"UPDATE runs SET status = ?, ended = ?, error = ? WHERE id = ? "
                    f"AND status IN (?, ?) AND {_LAST_SIGN} < ?",
                    (
                        RunStatus.FAILED.value,
                        last,
                        json.dumps(error),
                        run_id,
                        *_WATCHED,
                        now - self.lost_run_seconds,
                    ),
                )
            if quiet:
                cursor.executemany(
                    f"UPDATE runs SET status = ? WHERE id = ? AND status = ? AND {_LAST_SIGN} < ?",
                    [
                        (
                            RunStatus.NOT_RESPONDING.value,
                            run_id,
                            RunStatus.RUNNING.value,
                            now - self.not_responding_seconds,
                        )
                        for run_id, _, _ in quiet
                    ],
                )

        db.write(mark)


def revive(cursor: Cursor, run_ids: Iterable[str]) -> None:
    """Runs among ``run_ids`` beat again: those NotResponding, or Failed by ``sweep`` (a laptop
    that slept, a client cut off from its server longer than the limit), are Running again, so
    that their own end (Completed, ...) still applies. Their heartbeat is now, so that the next
    sweep does not find them silent again before their writer's next beat."""
    now = time.time()
    cursor.executemany(
        "UPDATE runs SET status = ?, ended = NULL, error = NULL, heartbeat = ? WHERE id = ? "
        "AND (status = ? OR (status = ? AND error LIKE ?))",
        [
            (
                RunStatus.RUNNING.value,
                now,
                r,
                RunStatus.NOT_RESPONDING.value,
                RunStatus.FAILED.value,
                _LOST_ERROR_START + "%",
            )
            for r in run_ids
        ],
    )
