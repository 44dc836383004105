"""The experiments list: run counts and status counts as the SDK stored them, archived ones on
request, and the empty workspace's first steps."""

from __future__ import annotations

from typing import Any

import pytest

from runhistory import Experiment

from .conftest import Studio

expect = pytest.importorskip("playwright.sync_api").expect


def test_experiments_show_their_runs_counted_by_status(studio: Studio, page: Any) -> None:
    workspace = studio.workspace()
    runs = Experiment(workspace, "e2e-sweep").get_runs(include_children=True)
    statuses = [run.get_status() for run in runs]
    workspace.close()
    page.goto(studio.url + "/")
    row = page.locator("tr[data-experiment='e2e-sweep']")
    expect(row.locator(".run-count")).to_have_text(str(len(statuses)))
    expect(row).to_contain_text(f"{statuses.count('Completed')} completed")
    expect(row).to_contain_text(f"{statuses.count('Failed')} failed")
    expect(page.locator("tr[data-experiment='e2e-empty'] .run-count")).to_have_text("0")
    row.get_by_role("link", name="e2e-sweep").click()
    expect(page).to_have_url(studio.url + "/experiments/e2e-sweep")
    expect(page.locator(".crumbs")).to_contain_text("e2e-sweep")


def test_archived_experiments_show_on_request(studio: Studio, page: Any) -> None:
    workspace = studio.workspace()
    Experiment(workspace, "e2e-archived").archive()
    workspace.close()
    page.goto(studio.url + "/")
    expect(page.locator("tr[data-experiment='e2e-sweep']")).to_be_visible()
    expect(page.locator("tr[data-experiment='e2e-archived']")).to_have_count(0)
    page.get_by_label("Show").select_option("archived")
    expect(page.locator("tr[data-experiment='e2e-archived']")).to_contain_text("archived")
    expect(page.locator("tr[data-experiment='e2e-sweep']")).to_have_count(0)
    page.reload()
    expect(page.locator("tr[data-experiment='e2e-archived']")).to_be_visible()


def test_an_empty_workspace_says_how_to_make_a_run(
    tmp_path_factory: pytest.TempPathFactory, page: Any
) -> None:
    from ..conftest import ServerProcess

    empty = ServerProcess(tmp_path_factory.mktemp("empty-studio"))
    try:
        page.goto(empty.url + "/")
        expect(page.get_by_role("heading", name="No runs yet")).to_be_visible()
        expect(page.locator(".first-run pre")).to_contain_text("start_logging()")
    finally:
        empty.stop()
