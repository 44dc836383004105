"""The SQL store's schema and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runhistory.artifacts import open_artifact_store
from runhistory.errors import StoreError
from runhistory.store.sql.database import Database
from runhistory.store.sql.migrate import (
    MIGRATIONS,
    SCHEMA_REVISION,
    current_revision,
    ensure_schema,
    sqlalchemy_url,
)
from runhistory.store.sql.store import SqlStore


def test_schema_revision_is_the_head_of_the_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_REVISION


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrated_database_matches_the_schema_definition(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from runhistory.store.sql.schema import metadata

    url = (
        f"sqlite:///{tmp_path}/db.sqlite"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    db = Database.open(url)
    ensure_schema(db)
    assert current_revision(db) == SCHEMA_REVISION
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    db.close()
    assert differences == []


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path}/db.sqlite")
    ensure_schema(db)
    db.write(lambda c: c.execute("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match=r"'9999'.*upgrade runhistory"):
        ensure_schema(db)


def test_many_processes_create_one_workspace_at_once(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from runhistory import Experiment, Workspace
        Experiment(Workspace(sys.argv[1]), "race").start_logging(snapshot_directory=None).complete()
        """
    )
    folder = tmp_path / ".runhistory"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(folder)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    db = Database.open(f"sqlite:///{folder}/runhistory.db")
    assert db.read(lambda c: c.execute("SELECT COUNT(*) FROM runs").fetchone()) == (4,)
    assert current_revision(db) == SCHEMA_REVISION


def test_an_unreachable_database_is_a_store_error() -> None:
    db = Database.open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreError, match="cannot connect"):
        db.read(lambda c: c.execute("SELECT 1").fetchone())


def test_unsupported_urls_are_refused() -> None:
    with pytest.raises(StoreError, match="mysql://x"):
        Database.open("mysql://x")


def test_an_older_database_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    from runhistory.store.sql.migrate import upgrade

    db = Database.open(f"sqlite:///{tmp_path}/old.sqlite")
    upgrade(db, "0001")
    db.write(
        lambda c: c.execute(
            "INSERT INTO experiments (id, name, archived, created, tags, run_count) VALUES ('e', 'old', 0, 1.0, '{}', 1)"
        )
    )
    db.write(
        lambda c: c.execute(
            "INSERT INTO runs (id, experiment_id, number, status, run_type, arguments, created, metrics_summary) "
            "VALUES ('r1', 'e', 1, 'Completed', 'interactive', '[]', 1.0, '{\"loss\": [\"scalar\", 1, 0, 0.5, 0.5, 0.5]}')"
        )
    )
    ensure_schema(db)
    assert current_revision(db) == SCHEMA_REVISION
    store = SqlStore(db, open_artifact_store(tmp_path / "a"))
    record = store.get_run("r1")
    assert (record.experiment_name, record.status.value, record.metrics["loss"].last) == (
        "old",
        "Completed",
        0.5,
    )
    db.close()
