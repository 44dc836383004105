"""The OpenAPI document describes every route of the API."""

from __future__ import annotations

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from runhistory.server.app import API_PREFIX, ROUTERS


def test_every_route_is_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    described = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routes = [r for module in ROUTERS for r in module.router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 30
    for route in routes:
        path = API_PREFIX + route.path.replace(":path}", "}")
        for method in route.methods:
            assert (path, method) in described, f"{method} {path} is undocumented"
    assert all(path.startswith(API_PREFIX + "/") for path in document["paths"])


def test_health_answers_with_the_version(client: TestClient) -> None:
    assert client.get("/api/v1/health").json()["status"] == "ok"
