"""Storing write batches sent by clients exactly once.

A client names each batch ``(client_id, seq)``. When its response is lost the client sends the
batch again; the server records the pair in ``applied_batches`` in the same transaction that
stores the points, so the second copy finds the pair and writes nothing. The same transaction
refuses a batch naming a run that does not exist, so a refused batch leaves nothing behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from runhistory.errors import RunNotFoundError
from runhistory.store.base import Store, WriteBatch
from runhistory.store.sql.database import Cursor, Database
from runhistory.store.sql.metrics import MetricWriter

T = TypeVar("T")


class BatchIngest:
    """Appends batches to the store, once per ``(client_id, seq)`` on SQL stores."""

    def __init__(self, store: Store) -> None:
        self.store = store
        db: Database | None = getattr(store, "db", None)
        self._ledger = None if db is None else _LedgerDatabase(db)
        # A writer of its own, over a database that adds the ledger row to each transaction.
        self._writer = None if self._ledger is None else MetricWriter(cast(Database, self._ledger))
        self._lock = threading.Lock()

    def append(self, batch: WriteBatch, client_id: str, seq: int) -> tuple[list[str], bool]:
        """Store ``batch``; returns (problems, whether it had been stored before)."""
        if self._writer is None or self._ledger is None:
            _require_runs_by_store(self.store, batch)
            return self.store.append(batch), False
        with self._lock:
            self._ledger.pending = (client_id, seq, _run_ids(batch))
            try:
                return self._writer.append(batch), False
            except _AlreadyApplied:
                return [], True
            finally:
                self._ledger.pending = None


class _AlreadyApplied(Exception):
    pass


class _LedgerDatabase:
    """The store's database, with the ledger check as the first step of the next write."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.pending: tuple[str, int, list[str]] | None = None

    @property
    def for_update(self) -> str:
        return self.db.for_update

    def write(self, work: Callable[[Cursor], T]) -> T:
        pending = self.pending
        if pending is None:
            return self.db.write(work)
        client_id, seq, run_ids = pending

        def recorded(cursor: Cursor) -> T:
            inserted = cursor.execute(
                "INSERT INTO applied_batches (client_id, seq, applied) VALUES (?, ?, ?) "
                "ON CONFLICT (client_id, seq) DO NOTHING RETURNING seq",
                (client_id, seq, time.time()),
            ).fetchall()
            if not inserted:
                raise _AlreadyApplied
            _require_runs(cursor, run_ids)
            return work(cursor)

        return self.db.write(recorded)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def _run_ids(batch: WriteBatch) -> list[str]:
    found = dict.fromkeys(m.run_id for m in batch.metrics)
    found.update(dict.fromkeys(e.run_id for e in batch.logs))
    found.update(dict.fromkeys(batch.heartbeats))
    return list(found)


def _require_runs(cursor: Cursor, run_ids: list[str]) -> None:
    if not run_ids:
        return
    placeholders = ", ".join("?" * len(run_ids))
    rows = cursor.execute(f"SELECT id FROM runs WHERE id IN ({placeholders})", run_ids).fetchall()
    missing = sorted(set(run_ids) - {r[0] for r in rows})
    if missing:
        raise RunNotFoundError(
            f"the batch names runs that do not exist: {', '.join(map(repr, missing[:5]))}; "
            "nothing of it was stored"
        )


def _require_runs_by_store(store: Store, batch: WriteBatch) -> None:
    for run_id in _run_ids(batch):
        store.get_run(run_id)
