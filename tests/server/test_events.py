"""Server-sent events follow a run (status, metric summaries, log text) until it ends."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import LogAppend, MetricAppend, WriteBatch
from runhistory.store.sql.store import SqlStore


def read_events(client: TestClient, url: str) -> list[tuple[str, Any]]:
    events = []
    with client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[len("data: ") :])))
    return events


def test_a_run_is_followed_live_until_it_ends(client: TestClient, store: SqlStore) -> None:
    experiment = store.get_or_create_experiment("live")
    run_id = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id

    def train() -> None:
        time.sleep(0.4)
        store.append(
            WriteBatch(
                [
                    MetricAppend(
                        run_id, "loss", MetricKind.SCALAR, "", [0.5, float("nan")], [1.0, 2.0]
                    )
                ],
                [LogAppend(run_id, "logs/std_log.txt", 1.0, "epoch 1\n")],
            )
        )
        time.sleep(0.4)
        store.set_status(run_id, RunStatus.COMPLETED)

    trainer = threading.Thread(target=train)
    trainer.start()
    events = read_events(client, f"/api/v1/runs/{run_id}/events")
    trainer.join()
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "status" and events[0][1]["status"] == "Running"
    assert ("log", {"run_id": run_id, "stream": "logs/std_log.txt", "text": "epoch 1\n"}) in events
    metrics = next(data for kind, data in events if kind == "metrics")
    assert metrics["metrics"]["loss"][1] == 2 and metrics["metrics"]["loss"][3] is None  # NaN
    assert kinds[-2:] == ["status", "end"] and events[-1][1]["status"] == "Completed"


def test_an_experiment_stream_sends_each_run_then_ends(client: TestClient, store: SqlStore) -> None:
    experiment = store.get_or_create_experiment("watched")
    first = store.create_run(experiment.id, status=RunStatus.COMPLETED, run_type="test").id
    second = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id
    events = read_events(client, f"/api/v1/experiments/{experiment.id}/events?seconds=0.3")
    statuses = [(data["run_id"], data["status"]) for kind, data in events if kind == "status"]
    assert statuses == [(first, "Completed"), (second, "Running")]
    assert events[-1][0] == "end"


def test_events_of_unknown_runs_are_a_404(client: TestClient) -> None:
    assert client.get("/api/v1/runs/nope/events").status_code == 404
    assert client.get("/api/v1/experiments/nope/events").status_code == 404
