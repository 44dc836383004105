"""An app over a real SQLite workspace, reached in process: raw (``client``) and through
``RestStore`` (``rest``), whose HTTP client is the app's test client."""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
# Starlette's test client asks for a successor of httpx; httpx is what RestStore uses.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from runhistory.server.app import create_app  # noqa: E402
from runhistory.store.rest import RestStore  # noqa: E402
from runhistory.store.sql.store import SqlStore  # noqa: E402
from tests.conftest import _TABLES as TABLES  # noqa: E402
from tests.conftest import isolated_settings  # noqa: E402


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at this version's schema, copied by each test (migrating is slow)."""
    path = tmp_path_factory.mktemp("template") / "runhistory.db"
    SqlStore.open(f"sqlite:///{path}", path.parent / "artifacts").close()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """The app's store: a SQLite file, or the session's PostgreSQL schema emptied."""
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / "runhistory.db")
        opened = SqlStore.open(f"sqlite:///{tmp_path}/runhistory.db", tmp_path / "artifacts")
    else:
        opened = SqlStore.open(request.getfixturevalue("postgres_url"), tmp_path / "artifacts")
        opened.db.write(lambda cursor: cursor.execute(f"TRUNCATE {TABLES}"))
    yield opened
    opened.close()


@pytest.fixture
def app(store: SqlStore) -> FastAPI:
    return create_app(isolated_settings(), store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def in_process(app: FastAPI, token: str | None = None) -> RestStore:
    """A ``RestStore`` whose requests go to ``app`` in this process."""
    return RestStore("http://testserver", token=token, transport=TestClient(app)._transport)


@pytest.fixture
def rest(app: FastAPI) -> RestStore:
    return in_process(app)
