"""The built studio at ``/``: its routes answer index.html, hashed assets are cached and gzipped,
the API keeps its JSON 404s, and a missing build says how to build it."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException

from runhistory.errors import RunHistoryError
from runhistory.server.app import _http_error, _runhistory_error
from runhistory.server.studio_files import mount_studio


def studio_client(folder: Path) -> Iterator[TestClient]:
    app = FastAPI()

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_exception_handler(RunHistoryError, _runhistory_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    mount_studio(app, folder)
    with TestClient(app) as client:
        yield client


@pytest.fixture
def built(tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<html><script src='/assets/index-abc.js'></script>")
    (tmp_path / "assets" / "index-abc.js").write_text("console.log('studio');" * 100)
    (tmp_path / "favicon.svg").write_text("<svg/>")
    yield from studio_client(tmp_path)


@pytest.mark.parametrize("path", ["/", "/experiments/demo", "/runs/abc?tab=logs", "/compare"])
def test_studio_routes_answer_the_index_uncached(built: TestClient, path: str) -> None:
    response = built.get(path)
    assert response.status_code == 200
    assert "/assets/index-abc.js" in response.text
    assert response.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_cached_long_and_gzipped(built: TestClient) -> None:
    response = built.get("/assets/index-abc.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert response.text == "console.log('studio');" * 100
    raw = built.get("/assets/index-abc.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content)


def test_files_at_the_top_are_served(built: TestClient) -> None:
    assert built.get("/favicon.svg").text == "<svg/>"


@pytest.mark.parametrize(
    "path", ["/assets/missing.js", "/assets/..%2F..%2Fpyproject.toml", "/api/v1/nope"]
)
def test_unknown_assets_and_api_paths_are_json_404s(built: TestClient, path: str) -> None:
    response = built.get(path)
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"


def test_the_api_still_answers(built: TestClient) -> None:
    assert built.get("/api/v1/health").json() == {"status": "ok"}


def test_a_missing_build_says_how_to_build_it(tmp_path: Path) -> None:
    for client in studio_client(tmp_path / "absent"):
        response = client.get("/experiments/demo")
        assert response.status_code == 503
        assert "npm ci &amp;&amp; npm run build" in response.text
        assert "scripts/setup" in response.text
