"""The studio's session on a server with auth: sign in once with a token, then the HttpOnly
cookie stands in for the bearer header (event streams, downloads); sign out clears it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from runhistory.model import RunStatus
from runhistory.server.api.session import hide_password
from runhistory.server.app import create_app
from runhistory.server.auth import SESSION_COOKIE
from runhistory.server.tokens import TokenStore
from runhistory.store.sql.store import SqlStore
from tests.conftest import isolated_settings


@pytest.fixture
def tokens(store: SqlStore) -> TokenStore:
    return TokenStore(store.db)


@pytest.fixture
def browser(store: SqlStore) -> Iterator[TestClient]:
    with TestClient(create_app(isolated_settings(), store=store, auth=True)) as client:
        yield client


def test_info_is_open_and_says_whether_signed_in(browser: TestClient, tokens: TokenStore) -> None:
    info = browser.get("/api/v1/studio/info").json()
    assert (info["auth"], info["signed_in"]) == (True, False)
    reader, _ = tokens.create("me", ["read"])
    assert browser.post("/api/v1/login", json={"token": reader}).status_code == 204
    assert browser.get("/api/v1/studio/info").json()["signed_in"] is True


def test_sign_in_sets_an_http_only_strict_cookie_that_reads(
    browser: TestClient, tokens: TokenStore, store: SqlStore
) -> None:
    assert browser.get("/api/v1/experiments").status_code == 401
    reader, _ = tokens.create("me", ["read"])
    response = browser.post("/api/v1/login", json={"token": reader})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    store.get_or_create_experiment("seen")
    assert [e["name"] for e in browser.get("/api/v1/experiments").json()] == ["seen"]


def test_a_read_session_cannot_edit_tags_or_cancel(
    browser: TestClient, tokens: TokenStore, store: SqlStore
) -> None:
    experiment = store.get_or_create_experiment("guarded")
    run = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test")
    reader, _ = tokens.create("me", ["read"])
    browser.post("/api/v1/login", json={"token": reader})
    tags = browser.put(f"/api/v1/runs/{run.id}/tags", json={"tags": {"k": "v"}})
    cancel = browser.post(f"/api/v1/runs/{run.id}/status", json={"status": "CancelRequested"})
    assert (tags.status_code, cancel.status_code) == (403, 403)
    assert store.get_run(run.id).tags == {}
    assert store.get_run(run.id).status == RunStatus.RUNNING


def test_a_wrong_token_sets_no_cookie(browser: TestClient) -> None:
    response = browser.post("/api/v1/login", json={"token": "rh_nope"})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert browser.get("/api/v1/experiments").status_code == 401


def test_sign_out_clears_the_cookie(browser: TestClient, tokens: TokenStore) -> None:
    reader, _ = tokens.create("me", ["read"])
    browser.post("/api/v1/login", json={"token": reader})
    assert browser.get("/api/v1/experiments").status_code == 200
    assert browser.post("/api/v1/logout").status_code == 204
    assert browser.get("/api/v1/experiments").status_code == 401


def test_a_revoked_token_ends_the_session(browser: TestClient, tokens: TokenStore) -> None:
    reader, record = tokens.create("me", ["read"])
    browser.post("/api/v1/login", json={"token": reader})
    tokens.revoke(record.id)
    assert browser.get("/api/v1/experiments").status_code == 401


def test_a_server_without_auth_has_no_sign_in(client: TestClient) -> None:
    assert client.get("/api/v1/studio/info").json()["signed_in"] is True
    response = client.post("/api/v1/login", json={"token": "rh_x"})
    assert response.status_code == 204
    assert "set-cookie" not in response.headers


def test_the_workspace_shown_hides_passwords() -> None:
    assert hide_password("postgresql://me:s3cret@db:5432/x") == "postgresql://me@db:5432/x"
    assert hide_password("/home/me/.runhistory") == "/home/me/.runhistory"
