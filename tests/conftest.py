"""Fixtures shared by the suite: workspaces on every backend, with real databases.

``workspace`` is parametrised over an embedded SQLite workspace (a real file under tmp_path) and
PostgreSQL at 127.0.0.1:5432, database ``test``: each test process migrates its own schema once,
and every test starts from empty tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.settings import Settings

POSTGRES_SERVER = os.environ.get(
    "RUNHISTORY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
_TABLES = (
    "metric_chunks, metrics, log_entries, artifacts, run_tags, run_properties, models, runs, "
    "snapshots, experiments"
)


def isolated_settings(**overrides: object) -> Settings:
    """Settings independent of the environment the tests run in."""
    return Settings(**{"flush_interval": 0.2, **overrides})  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A schema of its own in the test database, dropped at the end of the session."""
    psycopg = pytest.importorskip("psycopg")
    schema = f"rh_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        admin = psycopg.connect(POSTGRES_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRES_SERVER} is needed by the suite and is down: {error}")
    admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


def make_workspace(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, **settings: object
) -> Workspace:
    if backend == "sqlite":
        return Workspace(tmp_path / ".runhistory", settings=isolated_settings(**settings))
    url = request.getfixturevalue("postgres_url")
    workspace = Workspace(
        url, artifacts=tmp_path / "artifacts", settings=isolated_settings(**settings)
    )
    store = workspace.store
    store.db.write(lambda cursor: cursor.execute(f"TRUNCATE {_TABLES}"))  # type: ignore[attr-defined]
    return workspace


@pytest.fixture(params=BACKENDS)
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(request.param, tmp_path, request)
    yield workspace
    workspace.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace(tmp_path / ".runhistory", settings=isolated_settings())
    yield workspace
    workspace.close()


@pytest.fixture
def experiment(workspace: Workspace) -> Experiment:
    return Experiment(workspace, "tests")


@pytest.fixture
def run(experiment: Experiment) -> Run:
    return experiment.start_logging(snapshot_directory=None, outputs=None)
