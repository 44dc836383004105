"""Connections to SQLite (stdlib ``sqlite3``) or PostgreSQL (psycopg), behind one small API.

Queries are portable SQL with ``?`` placeholders; SQLAlchemy is used only to define the schema and
run migrations (``schema.py``, ``migrate.py``), which keeps its 0.3 s import off the logging path.
Each thread gets its own connection. Writes run in ``BEGIN IMMEDIATE`` transactions on SQLite so
that waiting for another writer goes through the busy timeout instead of failing, and are retried
on transient errors (locks, serialization failures).

>>> db = Database.open("sqlite:///:memory:")
>>> db.read(lambda c: c.execute("SELECT 1 + 1").fetchone())
(2,)
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from runhistory.errors import StoreError

T = TypeVar("T")
log = logging.getLogger("runhistory")

_RETRY_SECONDS = 300.0


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Cursor: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Database:
    """A database by URL: ``sqlite:///path`` or ``postgresql://...``."""

    dialect: str
    for_update: str  # row-lock suffix for read-modify-write SELECTs ("" where writes serialize)

    def __init__(self, url: str, busy_timeout: float = 60.0) -> None:
        self.url = url
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()

    @staticmethod
    def open(url: str, busy_timeout: float = 60.0) -> Database:
        if url.startswith("sqlite:///"):
            return SqliteDatabase(url, busy_timeout)
        if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            return PostgresDatabase(url, busy_timeout)
        raise StoreError(
            f"database URL {url!r} is not supported; use sqlite:///PATH or postgresql://..."
        )

    def write(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work(cursor)`` in one write transaction, retrying it on transient errors."""
        deadline = time.monotonic() + _RETRY_SECONDS
        delay = 0.005
        while True:
            connection = self._connection()
            try:
                return self._transaction(connection, work, write=True)
            except Exception as error:
                if not self._is_transient(error) or time.monotonic() > deadline:
                    raise self._wrap(error) from error
                log.debug("retrying a write after a transient error: %s", error)
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

    def read(self, work: Callable[[Cursor], T]) -> T:
        """Run ``work(cursor)`` on one consistent snapshot of the database."""
        connection = self._connection()
        try:
            return self._transaction(connection, work, write=False)
        except Exception as error:
            raise self._wrap(error) from error

    def lock(self, cursor: Cursor, key: str) -> None:
        """Serialise transactions that take the same ``key`` (SQLite writes already are)."""

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(Exception):  # closing is best effort at shutdown
                    connection.close()
            self._connections.clear()
        self._local = threading.local()

    def _connection(self) -> Any:
        pid = os.getpid()
        connection = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != pid:
            connection = self._connect()
            self._local.connection = connection
            self._local.pid = pid
            with self._lock:
                self._connections.append(connection)
        return connection

    def _wrap(self, error: Exception) -> Exception:
        if isinstance(error, StoreError) or not self._is_database_error(error):
            return error
        return StoreError(f"database {self.display_url} failed: {error}")

    @property
    def display_url(self) -> str:
        return re.sub(r"//[^@/]*@", "//***@", self.url)

    def _connect(self) -> Any:
        raise NotImplementedError

    def _transaction(self, connection: Any, work: Callable[[Cursor], T], write: bool) -> T:
        raise NotImplementedError

    def _is_transient(self, error: Exception) -> bool:
        raise NotImplementedError

    def _is_database_error(self, error: Exception) -> bool:
        raise NotImplementedError


class SqliteDatabase(Database):
    dialect = "sqlite"
    for_update = ""

    @property
    def path(self) -> str:
        return self.url[len("sqlite:///") :]

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        return connection

    def _transaction(self, connection: Any, work: Callable[[Cursor], T], write: bool) -> T:
        cursor = connection.cursor()
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = work(cursor)
        except BaseException:
            connection.rollback()
            raise
        if write:
            connection.commit()
        else:
            connection.rollback()
        return result

    def _is_transient(self, error: Exception) -> bool:
        if not isinstance(error, sqlite3.OperationalError):
            return False
        message = str(error)
        return "locked" in message or "busy" in message

    def _is_database_error(self, error: Exception) -> bool:
        return isinstance(error, sqlite3.Error)


class PostgresDatabase(Database):
    dialect = "postgresql"
    for_update = " FOR UPDATE"

    def __init__(self, url: str, busy_timeout: float = 60.0) -> None:
        super().__init__(url.replace("postgresql+psycopg://", "postgresql://"), busy_timeout)
        self._statements: dict[str, str] = {}

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"cannot connect to {self.display_url}: {error}") from error

    def _transaction(self, connection: Any, work: Callable[[Cursor], T], write: bool) -> T:
        import psycopg

        try:
            with connection.transaction(), connection.cursor() as cursor:
                return work(_PostgresCursor(cursor, self._statements))
        except psycopg.OperationalError:
            # A broken connection is dropped so that the next call connects afresh.
            self._local.connection = None
            raise

    def _is_transient(self, error: Exception) -> bool:
        import psycopg

        return isinstance(
            error, (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected)
        )

    def _is_database_error(self, error: Exception) -> bool:
        import psycopg

        return isinstance(error, psycopg.Error)

    def lock(self, cursor: Cursor, key: str) -> None:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))


class _PostgresCursor:
    """Translates ``?`` placeholders to psycopg's ``%s`` (statements are cached)."""

    def __init__(self, cursor: Any, statements: dict[str, str]) -> None:
        self._cursor = cursor
        self._statements = statements

    def _sql(self, sql: str) -> str:
        translated = self._statements.get(sql)
        if translated is None:
            translated = sql.replace("%", "%%").replace("?", "%s")
            self._statements[sql] = translated
        return translated

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _PostgresCursor:
        self._cursor.execute(self._sql(sql), params)
        return self

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        return self._cursor.executemany(self._sql(sql), rows)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())
