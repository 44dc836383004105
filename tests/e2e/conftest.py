"""The studio in a real browser: a real ``runhistory server`` subprocess over a workspace the SDK
filled with real runs, and Debian's chromium driven by Playwright (it cannot download its own
browsers here, so it is started from ``/usr/bin/chromium``; ``scripts/setup`` installs it).

Fixtures: ``studio`` (session: the server, ``.url``, ``.folder``, ``.workspace()`` through its
API, ``.seeded``), ``auth_studio`` (session: a server started with ``--auth``, ``.reader`` and
``.writer`` tokens), ``browser`` (session) and ``page`` (a fresh 1280x800 page per test).
Every browser test runs on one pytest-xdist worker (group ``studio``): one server, one browser.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runhistory import Experiment, Run, Workspace

from ..conftest import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("RUNHISTORY_CHROMIUM", "/usr/bin/chromium")
UI_INDEX = Path(__file__).resolve().parents[2] / "src" / "runhistory" / "ui" / "index.html"
SWEEP = "e2e-sweep"
LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("studio"))


@dataclasses.dataclass
class Seeded:
    """What the session's workspace holds: the sweep's runs by learning rate, and others."""

    experiment: str
    runs: dict[float, str]
    failed: str
    parent: str
    children: list[str]


class Studio:
    """A server subprocess serving the studio and its API over a SQLite file."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.url = server.url
        self.folder = server.folder
        self.seeded: Seeded | None = None

    def workspace(self) -> Workspace:
        """The server's workspace, reached through its API (as a team's scripts reach it)."""
        return Workspace(self.url)


def seed(workspace: Workspace) -> Seeded:
    """A sweep of six runs (loss over 20 steps, accuracy, tags, arguments), a failed run, and a
    parent with two child runs."""
    experiment = Experiment(workspace, SWEEP)
    runs: dict[float, str] = {}
    for index, rate in enumerate(LEARNING_RATES):
        run = experiment.start_logging(
            snapshot_directory=None,
            outputs=None,
            display_name=f"lr={rate}",
            tags={"optimizer": "adam" if index % 2 else "sgd", "rate": str(rate)},
        )
        for step in range(20):
            run.log("loss", round(1.0 / (1 + rate * 10 * (step + 1)), 6), step=step)
        run.log("accuracy", round(0.5 + rate, 4))
        run.complete()
        runs[rate] = run.id
    failed = experiment.start_logging(snapshot_directory=None, outputs=None, display_name="broken")
    failed.log("loss", 9.5)
    failed.fail(error_details="the data loader ran out of memory")
    parent = experiment.start_logging(snapshot_directory=None, outputs=None, display_name="parent")
    children = []
    for number in range(2):
        with parent.child_run(name=f"fold {number}") as child:
            child.log("loss", 0.1 * (number + 1))
            children.append(child.id)
    parent.complete()
    Experiment(workspace, "e2e-empty")
    return Seeded(SWEEP, runs, failed.id, parent.id, children)


def require_browser() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need chromium at {CHROMIUM}: run scripts/setup "
            "(apt-get install chromium) or set RUNHISTORY_CHROMIUM"
        )
    if not UI_INDEX.is_file():
        pytest.fail("the studio is not built: run scripts/setup (or cd web && npm run build)")


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    require_browser()
    started = Studio(ServerProcess(tmp_path_factory.mktemp("studio")))
    try:
        workspace = started.workspace()
        started.seeded = seed(workspace)
        workspace.close()
        yield started
    finally:
        started.server.stop()


class AuthServerProcess(ServerProcess):
    """``runhistory server --auth`` with a write and a read token made before it starts."""

    options = ("--auth",)

    def start(self) -> None:
        store = f"sqlite:///{self.database}"
        self.writer = create_token(store, "seeding", "write")
        self.reader = create_token(store, "dashboard", "read")
        super().start()


def create_token(store: str, name: str, scope: str) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "runhistory.cli", "token", "create", name,
         "--store", store, "--scope", scope],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return created.stdout.strip().splitlines()[-1]


class AuthStudio(Studio):
    def __init__(self, server: AuthServerProcess) -> None:
        super().__init__(server)
        self.reader = server.reader
        self.writer = server.writer


@pytest.fixture(scope="session")
def auth_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthStudio]:
    require_browser()
    started = AuthStudio(AuthServerProcess(tmp_path_factory.mktemp("studio-auth")))
    try:
        yield started
    finally:
        started.server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_browser()
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page of its own browser context (no cookies shared between tests), 1280x800."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page threw: {errors}"


def run_of(workspace: Workspace, run_id: str) -> Run:
    return Run.get(workspace, run_id)


def screenshots_folder() -> Path | None:
    """Where tests save the README's screenshots (RUNHISTORY_SCREENSHOTS), if anywhere."""
    folder = os.environ.get("RUNHISTORY_SCREENSHOTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
