"""Error states: a server that went away, and pages of things that do not exist."""

from __future__ import annotations

from typing import Any

import pytest

from runhistory import Experiment, Workspace

from ..conftest import ServerProcess

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_server_that_went_away_says_so(
    tmp_path_factory: pytest.TempPathFactory, page: Any
) -> None:
    server = ServerProcess(tmp_path_factory.mktemp("going-away"))
    try:
        workspace = Workspace(server.url)
        Experiment(workspace, "soon-gone")
        workspace.close()
        page.goto(server.url + "/")
        expect(page.locator("tr[data-experiment='soon-gone']")).to_be_visible()
        server.kill()
        page.get_by_role("link", name="soon-gone").click()
        expect(page.get_by_role("alert")).to_contain_text("The server cannot be reached")
    finally:
        server.stop()


def test_a_run_that_does_not_exist(tmp_path_factory: pytest.TempPathFactory, page: Any) -> None:
    server = ServerProcess(tmp_path_factory.mktemp("no-run"))
    try:
        page.goto(server.url + "/runs/no-such-run")
        expect(page.get_by_role("alert").first).to_contain_text("no-such-run")
    finally:
        server.stop()
