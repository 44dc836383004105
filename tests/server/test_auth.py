"""With auth on, every route but health needs a bearer token of the scope it needs; tokens are
kept hashed and can be revoked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from runhistory.cli import cli
from runhistory.errors import RunHistoryError
from runhistory.model import RunStatus
from runhistory.server.app import API_PREFIX, ROUTERS, create_app
from runhistory.server.tokens import TokenStore
from runhistory.store.sql.store import SqlStore
from tests.conftest import isolated_settings
from tests.server.conftest import in_process


@pytest.fixture
def tokens(store: SqlStore) -> TokenStore:
    return TokenStore(store.db)


@pytest.fixture
def guarded(store: SqlStore) -> Iterator[TestClient]:
    with TestClient(create_app(isolated_settings(), store=store, auth=True)) as client:
        yield client


def every_route() -> list[tuple[str, str]]:
    found = []
    for module in ROUTERS:
        for route in module.router.routes:
            if isinstance(route, APIRoute) and not route.path.endswith("/health"):
                path = re.sub(r"\{(\w+)(:path)?\}", "x", API_PREFIX + route.path)
                found += [(method, path) for method in route.methods]
    return found


@pytest.mark.parametrize(("method", "path"), every_route())
def test_every_route_but_health_refuses_a_request_without_a_token(
    guarded: TestClient, store: SqlStore, method: str, path: str
) -> None:
    response = guarded.request(method, path, json={"name": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    if method != "HEAD":
        assert response.json()["error_code"] == "unauthenticated"
    assert store.list_experiments("all") == []


def test_health_needs_no_token(guarded: TestClient) -> None:
    assert guarded.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_the_api_document_and_its_viewers_need_a_read_token(
    guarded: TestClient, tokens: TokenStore, path: str
) -> None:
    refused = guarded.get(path)
    assert (refused.status_code, refused.json()["error_code"]) == (401, "unauthenticated")
    assert refused.headers["www-authenticate"] == "Bearer"
    assert guarded.get(path, headers={"Authorization": "Bearer rh_unknown"}).status_code == 401
    reader, _ = tokens.create("dashboard", ["read"])
    served = guarded.get(path, headers={"Authorization": f"Bearer {reader}"})
    assert served.status_code == 200
    assert "/openapi.json" in served.text if path != "/openapi.json" else served.json()["paths"]


def test_the_api_document_of_a_server_with_auth_states_the_bearer_scheme(
    guarded: TestClient, tokens: TokenStore
) -> None:
    reader, _ = tokens.create("dashboard", ["read"])
    document = guarded.get("/openapi.json", headers={"Authorization": f"Bearer {reader}"}).json()
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    assert "/api/v1/health" in document["paths"]


def test_a_real_server_with_auth_serves_its_document_to_readers_only(tmp_path: Path) -> None:
    import httpx

    from tests.server.test_schemathesis import AuthServerProcess

    server = AuthServerProcess(tmp_path)
    try:
        assert httpx.get(f"{server.url}/api/v1/health").status_code == 200
        for path in ("/openapi.json", "/docs", "/redoc"):
            refused = httpx.get(server.url + path)
            assert (refused.status_code, refused.json()["error_code"]) == (401, "unauthenticated")
            served = httpx.get(
                server.url + path, headers={"Authorization": f"Bearer {server.reader}"}
            )
            assert served.status_code == 200
    finally:
        server.stop()


def test_without_auth_the_api_document_needs_no_token(client: TestClient) -> None:
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_a_read_token_reads_but_does_not_write(
    guarded: TestClient, tokens: TokenStore, store: SqlStore
) -> None:
    reader, _ = tokens.create("dashboard", ["read"])
    headers = {"Authorization": f"Bearer {reader}"}
    assert guarded.get("/api/v1/experiments", headers=headers).json() == []
    refused = guarded.post("/api/v1/experiments", json={"name": "x"}, headers=headers)
    assert (refused.status_code, refused.json()["error_code"]) == (403, "permission_denied")
    assert store.list_experiments("all") == []


def test_a_write_token_writes_and_a_revoked_one_is_refused(
    guarded: TestClient, tokens: TokenStore
) -> None:
    writer, record = tokens.create("ci", ["write"])
    headers = {"Authorization": f"Bearer {writer}"}
    assert guarded.post("/api/v1/experiments", json={"name": "x"}, headers=headers).is_success
    tokens.revoke(record.id)
    assert guarded.get("/api/v1/experiments", headers=headers).status_code == 401


@pytest.mark.parametrize("token", ["", "rh_nope", "rh_" + "0" * 32 + "_" + "a" * 43, "Basic x"])
def test_unknown_or_malformed_tokens_are_refused(guarded: TestClient, token: str) -> None:
    response = guarded.get("/api/v1/experiments", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_tokens_are_stored_hashed(tokens: TokenStore, store: SqlStore) -> None:
    token, _ = tokens.create("ci", ["admin"])
    rows = store.db.read(lambda c: c.execute("SELECT * FROM api_tokens").fetchall())
    secret = token.rsplit("_", 1)[1]
    assert all(secret not in str(value) for value in rows[0])
    assert tokens.verify(token).allows("write")


def test_the_rest_store_sends_its_token(store: SqlStore, tokens: TokenStore) -> None:
    app = create_app(isolated_settings(), store=store, auth=True)
    token, _ = tokens.create("script", ["write"])
    remote = in_process(app, token)
    experiment = remote.get_or_create_experiment("authorised")
    run = remote.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test")
    assert remote.get_run(run.id).experiment_name == "authorised"
    anonymous = in_process(app)
    with pytest.raises(RunHistoryError, match="needs a token"):
        anonymous.get_run(run.id)


def test_token_commands_create_list_and_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    location = str(tmp_path / "ws")
    created = runner.invoke(cli, ["token", "create", "ci", "--store", location, "--scope", "write"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("rh_")
    listed = runner.invoke(cli, ["token", "list", "--store", location])
    token_id = token.split("_")[1]
    assert f"{token_id}  ci  write" in listed.stdout and "active" in listed.stdout
    assert runner.invoke(cli, ["token", "revoke", token_id, "--store", location]).exit_code == 0
    assert "revoked" in runner.invoke(cli, ["token", "list", "--store", location]).stdout
    missing = runner.invoke(cli, ["token", "revoke", "nope", "--store", location])
    assert missing.exit_code == 3
