"""The studio of a server started with --auth: no token, no data; a token signs the browser in
once (an HttpOnly cookie, never in a URL); a read token sees runs but cannot edit tags or cancel."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.settings import Settings

from .conftest import AuthStudio

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def guarded_run(auth_studio: AuthStudio) -> Iterator[str]:
    settings = dataclasses.replace(Settings.from_env(), token=auth_studio.writer)
    workspace = Workspace(auth_studio.url, settings=settings)
    run = Experiment(workspace, "e2e-secret").start_logging(
        snapshot_directory=None, outputs=None, display_name="guarded", tags={"team": "vision"}
    )
    run.log("loss", 0.5)
    run.flush()
    yield run.id
    run.complete()
    workspace.close()


def sign_in(page: Any, studio: AuthStudio, token: str) -> None:
    page.goto(studio.url + "/")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def test_without_a_token_the_studio_shows_no_data(
    auth_studio: AuthStudio, guarded_run: str, page: Any
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(auth_studio.url + "/")
    expect(page.get_by_role("heading", name="Sign in to runhistory")).to_be_visible()
    expect(page.get_by_text("e2e-secret")).to_have_count(0)
    page.goto(f"{auth_studio.url}/runs/{guarded_run}")
    expect(page.get_by_role("heading", name="Sign in to runhistory")).to_be_visible()
    expect(page.get_by_text("guarded")).to_have_count(0)
    answer = page.request.get(f"{auth_studio.url}/api/v1/runs/{guarded_run}")
    assert answer.status == 401
    wrong = page.request.post(f"{auth_studio.url}/api/v1/login", data={"token": "rh_nope"})
    assert wrong.status == 401


def test_a_read_token_signs_in_once_and_cannot_edit(
    auth_studio: AuthStudio, guarded_run: str, page: Any
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    sign_in(page, auth_studio, auth_studio.reader)
    expect(page.locator("tr[data-experiment='e2e-secret'] .run-count")).to_have_text("1")
    cookies = page.context.cookies()
    session = next(c for c in cookies if c["name"] == "runhistory_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""
    # A reload keeps the session: no second sign-in.
    page.goto(f"{auth_studio.url}/runs/{guarded_run}")
    expect(page.get_by_test_id("run-status")).to_have_text("Running")
    # Editing a tag and cancelling are refused, and nothing changes.
    page.locator("[data-tag='team'] .tag-chip").click()
    page.get_by_label("value of tag team").fill("audio")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").first).to_contain_text("read")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator(".error-box").last).to_contain_text("Permission denied")
    settings = dataclasses.replace(Settings.from_env(), token=auth_studio.writer)
    workspace = Workspace(auth_studio.url, settings=settings)
    try:
        run = Run.get(workspace, guarded_run)
        assert run.get_tags() == {"team": "vision"}
        assert run.get_status() == "Running"
    finally:
        workspace.close()
    assert all(auth_studio.reader not in url for url in requests)
    # Signing out ends the session.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to runhistory")).to_be_visible()
    assert page.request.get(f"{auth_studio.url}/api/v1/experiments").status == 401
