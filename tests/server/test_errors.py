"""Errors cross the wire as ``{error_code, message}`` and come back as the same classes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from runhistory.errors import (
    ConflictError,
    ExperimentNotFoundError,
    InvalidValueError,
    ModelNotFoundError,
    PropertyConflictError,
    RunNotFoundError,
    all_error_classes,
)
from runhistory.model import RunStatus
from runhistory.store.rest import RestStore


def test_an_unknown_run_is_a_404_with_its_code(client: TestClient) -> None:
    response = client.get("/api/v1/runs/no-such-run")
    assert response.status_code == 404
    assert response.json()["error_code"] == "run_not_found"
    assert "no-such-run" in response.json()["message"]


def test_unknown_routes_and_bad_bodies_answer_in_the_same_shape(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "not_found")
    refused = client.post("/api/v1/experiments", json={"title": "x"})
    assert refused.status_code == 422
    assert refused.json()["error_code"] == "invalid_value"
    assert "name" in refused.json()["message"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.get_run("nope"), RunNotFoundError),
        (lambda s: s.get_experiment("nope"), ExperimentNotFoundError),
        (lambda s: s.get_model("nope"), ModelNotFoundError),
        (lambda s: s.get_or_create_experiment("bad name!"), InvalidValueError),
        (lambda s: s.list_experiments("sideways"), InvalidValueError),
        (lambda s: s.update_run("nope", display_name="x"), RunNotFoundError),
    ],
)
def test_the_rest_store_raises_the_class_the_server_names(
    rest: RestStore, call: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        call(rest)  # type: ignore[operator]


def test_a_conflict_keeps_its_class_and_message(rest: RestStore) -> None:
    experiment = rest.get_or_create_experiment("errors")
    run = rest.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test")
    rest.add_properties(run.id, {"k": "1"})
    with pytest.raises(PropertyConflictError, match="write-once"):
        rest.add_properties(run.id, {"k": "2"})
    assert rest.get_run(run.id).properties == {"k": "1"}


def test_every_error_class_has_a_client_or_server_status() -> None:
    for code, cls in all_error_classes().items():
        assert 400 <= cls.http_status < 600, code


def test_a_run_id_given_twice_is_a_conflict(rest: RestStore) -> None:
    experiment = rest.get_or_create_experiment("ids")
    rest.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test", run_id="fixed")
    with pytest.raises(ConflictError, match="fixed"):
        rest.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test", run_id="fixed")
