"""Bring a database to the schema this version of runhistory expects.

The check is one query; Alembic (and SQLAlchemy) are imported only when a migration has to run,
under a lock (a file lock for SQLite, an advisory lock for PostgreSQL) so that many processes
opening a new workspace at once migrate it once.

>>> from runhistory.store.sql.database import Database
>>> db = Database.open("sqlite:///:memory:")
>>> current_revision(db) is None
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from runhistory.errors import StoreError
from runhistory.store.sql.database import Database, SqliteDatabase

# The head revision of migrations/versions; a test keeps the two in step.
SCHEMA_REVISION = "0004"

MIGRATIONS = Path(__file__).parent / "migrations"


def ensure_schema(db: Database) -> None:
    """Migrate ``db`` to ``SCHEMA_REVISION`` unless it is already there."""
    revision = current_revision(db)
    if revision == SCHEMA_REVISION:
        return
    if revision is not None and not any((MIGRATIONS / "versions").glob(f"{revision}_*.py")):
        raise StoreError(
            f"database {db.display_url} has schema revision {revision!r}, newer than this "
            "runhistory knows; upgrade runhistory"
        )
    with _migration_lock(db):
        upgrade(db)


def current_revision(db: Database) -> str | None:
    def query(cursor: object) -> str | None:
        try:
            row = cursor.execute("SELECT version_num FROM alembic_version").fetchone()  # type: ignore[attr-defined]
        except Exception:
            return None
        return None if row is None else str(row[0])

    try:
        return db.read(query)
    except StoreError:
        return None


def upgrade(db: Database, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (what ``runhistory db upgrade`` does)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(db.url).replace("%", "%%"))
    command.upgrade(config, revision)


def sqlalchemy_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@contextlib.contextmanager
def _migration_lock(db: Database) -> Iterator[None]:
    if not isinstance(db, SqliteDatabase) or db.path == ":memory:":
        yield  # PostgreSQL: migrations/env.py takes an advisory lock
        return
    from filelock import FileLock

    with FileLock(db.path + ".migrate-lock"):
        yield
