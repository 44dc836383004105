"""Fixtures shared by the suite: workspaces on every backend, with real databases.

``workspace`` is parametrised over an embedded SQLite workspace (a real file under tmp_path),
PostgreSQL at 127.0.0.1:5432, database ``test`` (each test process migrates its own schema once)
and a real ``runhistory server`` subprocess over a SQLite file (one per test process, reached
through ``RestStore``). Every test starts from empty tables.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from runhistory import Experiment, Run, Workspace
from runhistory.settings import Settings

POSTGRES_SERVER = os.environ.get(
    "RUNHISTORY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
# Property-based tests judge behaviour, not speed: on a loaded machine a slow example is no failure.
hypothesis_settings.register_profile("runhistory", deadline=None)
hypothesis_settings.load_profile("runhistory")

BACKENDS = ["sqlite", "postgresql", "server"]
_TABLES = (
    "metric_chunks, metric_overviews, metrics, log_entries, artifacts, run_tags, run_properties, models, runs, "
    "snapshots, experiments, applied_batches, api_tokens"
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


class ServerProcess:
    """A ``runhistory server`` subprocess on a free port over a SQLite file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.database = folder / "server.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(folder / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.start()

    options: tuple[str, ...] = ()  # more options of ``runhistory server``

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "runhistory.cli", "server", *self.options,
                "--store", f"sqlite:///{self.database}",
                "--artifacts", str(self.folder / "artifacts"),
                "--port", str(self.port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_serving(self.url, self.process)

    def kill(self) -> None:
        """SIGKILL the server: no shutdown, transactions cut wherever they are."""
        self.process.kill()
        self.process.wait()

    def empty(self) -> None:
        """Empty the server's tables straight in its database file (the test knows where)."""
        from runhistory.store.sql.database import Database

        db = Database.open(f"sqlite:///{self.database}")
        try:
            db.write(
                lambda cursor: [
                    cursor.execute(f"DELETE FROM {table.strip()}") for table in _TABLES.split(",")
                ]
            )
        finally:
            db.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server at {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"the server at {url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server per test process; tests empty its tables before use."""
    started = ServerProcess(tmp_path_factory.mktemp("server"))
    yield started
    started.stop()


def make_workspace(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, **settings: object
) -> Workspace:
    if backend == "sqlite":
        return Workspace(tmp_path / ".runhistory", settings=isolated_settings(**settings))
    if backend == "server":
        server: ServerProcess = request.getfixturevalue("server")
        server.empty()
        return Workspace(server.url, settings=isolated_settings(**settings))
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
