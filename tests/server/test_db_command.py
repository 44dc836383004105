"""``runhistory db upgrade`` migrates a database from an older revision to this one."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from runhistory.cli import cli
from runhistory.store.sql.database import Database
from runhistory.store.sql.migrate import SCHEMA_REVISION, current_revision, upgrade


def test_db_upgrade_brings_an_older_database_to_this_revision(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    database = Database.open(url)
    upgrade(database, "0002")
    assert current_revision(database) == "0002"
    database.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "upgrade", "--store", url])
    assert result.exit_code == 0, result.output
    assert f"from revision 0002 to {SCHEMA_REVISION}" in result.output
    database = Database.open(url)
    assert current_revision(database) == SCHEMA_REVISION
    assert database.read(lambda c: c.execute("SELECT COUNT(*) FROM applied_batches").fetchone())
    database.close()
    again = runner.invoke(cli, ["db", "upgrade", "--store", url])
    assert "already" in again.output
