"""The MLflow REST API in process (SQLite and PostgreSQL): MLflow's error bodies, the UI's
upload and download, sampled metric history and dataset inputs."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"


def new_run(client: TestClient, name: str = "api") -> str:
    experiment = client.post(f"{API}/experiments/create", json={"name": name}).json()
    run = client.post(f"{API}/runs/create", json={"experiment_id": experiment["experiment_id"]})
    run_id: str = run.json()["run"]["info"]["run_id"]
    return run_id


def error(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error_code"], body["message"]


def test_errors_have_mlflow_codes_and_statuses(client: TestClient) -> None:
    assert error(client.get(f"{API}/runs/get", params={"run_id": "nope"}))[:2] == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    assert error(client.post(f"{API}/experiments/create", json={"name": 123})) == (
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid value 123 for parameter 'name' supplied: it must be a string",
    )
    client.post(f"{API}/experiments/create", json={"name": "twice"})
    assert error(client.post(f"{API}/experiments/create", json={"name": "twice"}))[:2] == (
        400,
        "RESOURCE_ALREADY_EXISTS",
    )
    run_id = new_run(client)
    status, code, message = error(
        client.post(f"{API}/runs/search", json={"experiment_ids": ["0"], "filter": "params.a <"})
    )
    assert (status, code) == (400, "INVALID_PARAMETER_VALUE")
    assert "position 10" in message
    assert (
        error(
            client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [{"key": "m"}]})
        )[2]
        == "Missing value for required parameter 'metrics[0].value'."
    )
    assert error(client.get(f"{API}/no-such-endpoint"))[:2] == (404, "ENDPOINT_NOT_FOUND")
    assert error(
        client.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "../x"})
    ) == (
        400,
        "INVALID_PARAMETER_VALUE",
        "Invalid path",
    )


def test_the_ui_uploads_and_downloads_a_file(client: TestClient) -> None:
    run_id = new_run(client)
    uploaded = client.post(
        f"{AJAX}/upload-artifact", params={"run_uuid": run_id, "path": "notes/a.txt"}, content=b"hi"
    )
    assert uploaded.status_code == 200
    downloaded = client.get("/get-artifact", params={"run_uuid": run_id, "path": "notes/a.txt"})
    assert downloaded.content == b"hi"
    listed = client.get(f"{API}/artifacts/list", params={"run_id": run_id, "path": "notes"})
    assert listed.json()["files"] == [{"path": "notes/a.txt", "is_dir": False, "file_size": 2}]
    assert (
        error(client.post(f"{AJAX}/upload-artifact", params={"run_uuid": run_id, "path": "../a"}))[
            2
        ]
        == "Invalid path"
    )


def test_history_bulk_interval_samples_steps_with_each_runs_ends(client: TestClient) -> None:
    run_id = new_run(client)
    metrics = [{"key": "m", "value": float(i), "timestamp": 1, "step": i} for i in range(10)]
    client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    sampled = client.get(
        f"{AJAX}/metrics/get-history-bulk-interval",
        params={"run_ids": [run_id], "metric_key": "m", "max_results": 5},
    ).json()["metrics"]
    assert [p["step"] for p in sampled] == [0, 2, 4, 6, 8, 9]
    assert all(p["run_id"] == run_id for p in sampled)
    full = client.get(
        f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m", "max_results": 4}
    ).json()
    assert [p["step"] for p in full["metrics"]] == [0, 1, 2, 3]
    rest = client.get(
        f"{API}/metrics/get-history",
        params={"run_id": run_id, "metric_key": "m", "page_token": full["next_page_token"]},
    ).json()
    assert [p["step"] for p in rest["metrics"]][:2] == [4, 5]


def test_dataset_inputs_read_back_and_stay_out_of_tags(client: TestClient) -> None:
    run_id = new_run(client)
    dataset = {"name": "iris", "digest": "abc", "source_type": "local", "source": "/data"}
    logged = client.post(
        f"{API}/runs/log-inputs",
        json={"run_id": run_id, "datasets": [{"tags": [], "dataset": dataset}]},
    )
    assert logged.status_code == 200
    run = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert run["inputs"]["dataset_inputs"] == [{"tags": [], "dataset": dataset}]
    assert all(not t["key"].startswith("runhistory.") for t in run["data"]["tags"])
