"""Server-sent events follow a run (status, metric summaries, log text) until it ends."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from runhistory.model import MetricKind, RunStatus
from runhistory.server.events import server_sent_event
from runhistory.store.base import LogAppend, MetricAppend, WriteBatch
from runhistory.store.rest import server_sent_events
from runhistory.store.sql.store import SqlStore


def read_events(
    client: TestClient, url: str, first: threading.Event | None = None
) -> list[tuple[str, Any]]:
    """Every event of the stream at ``url`` until it ends; ``first`` is set on the first one."""
    events = []
    with client.stream("GET", url) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[len("data: ") :])))
                if first is not None:
                    first.set()
    return events


def test_a_run_is_followed_live_until_it_ends(client: TestClient, store: SqlStore) -> None:
    experiment = store.get_or_create_experiment("live")
    run_id = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id

    following = threading.Event()

    def train() -> None:
        # The run changes only once the stream has sent its opening status, however slow the
        # machine is to open it; the pauses then let the stream see each change on its own.
        assert following.wait(30)
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
    events = read_events(client, f"/api/v1/runs/{run_id}/events", following)
    trainer.join()
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "status" and events[0][1]["status"] == "Running"
    log = next(data for kind, data in events if kind == "log")
    assert log == {**log, "run_id": run_id, "stream": "logs/std_log.txt", "text": "epoch 1\n"}
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


def append_log(store: SqlStore, run_id: str, stream: str, text: str) -> int:
    """Append ``text`` to the log ``stream``; the log's position after it."""
    store.append(WriteBatch(logs=[LogAppend(run_id, stream, 1.0, text)]))
    return store.read_log(run_id, stream)[1]


def ended_run(store: SqlStore) -> str:
    experiment = store.get_or_create_experiment("resumed")
    run_id = store.create_run(experiment.id, status=RunStatus.RUNNING, run_type="test").id
    store.set_status(run_id, RunStatus.COMPLETED)
    return run_id


def test_a_reconnecting_client_gets_the_rest_of_each_log_after_its_last_position(
    client: TestClient, store: SqlStore
) -> None:
    run_id = ended_run(store)
    after_one = append_log(store, run_id, "logs/std_log.txt", "one\n")
    after_two = append_log(store, run_id, "logs/std_log.txt", "two\n")
    after_driver = append_log(store, run_id, "logs/driver_log.txt", "driver\n")
    everything = read_events(client, f"/api/v1/runs/{run_id}/events")
    logs = {data["stream"]: data for kind, data in everything if kind == "log"}
    assert (logs["logs/std_log.txt"]["text"], logs["logs/std_log.txt"]["last"]) == (
        "one\ntwo\n",
        after_two,
    )
    assert logs["logs/driver_log.txt"]["last"] == after_driver

    query = f"after=logs/std_log.txt:{after_one}&after=logs/driver_log.txt:{after_driver}"
    resumed = read_events(client, f"/api/v1/runs/{run_id}/events?{query}")
    texts = [
        (data["stream"], data["text"], data["last"]) for kind, data in resumed if kind == "log"
    ]
    assert texts == [("logs/std_log.txt", "two\n", after_two)]


def test_logs_false_sends_no_log_text(client: TestClient, store: SqlStore) -> None:
    run_id = ended_run(store)
    append_log(store, run_id, "logs/std_log.txt", "one\n")
    kinds = [kind for kind, _ in read_events(client, f"/api/v1/runs/{run_id}/events?logs=false")]
    assert kinds == ["status", "end"]


def test_a_position_that_is_not_stream_colon_number_is_refused(
    client: TestClient, store: SqlStore
) -> None:
    run_id = ended_run(store)
    for after in ("logs/std_log.txt", "logs/std_log.txt:-1", ":4", "x:1e3", f"x:{2**63}"):
        response = client.get(f"/api/v1/runs/{run_id}/events", params={"after": after})
        assert response.status_code == 400, after
        assert "is not STREAM:POSITION" in response.json()["message"]


def test_refused_stream_requests_answer_error_documents(
    client: TestClient, store: SqlStore
) -> None:
    run_id = ended_run(store)
    experiment_id = store.get_run(run_id).experiment_id
    bad = client.get(f"/api/v1/experiments/{experiment_id}/events", params={"seconds": 0})
    assert bad.status_code == 422 and set(bad.json()) == {"error_code", "message"}
    missing = client.get("/api/v1/runs/no-such-run/events")
    assert missing.status_code == 404 and missing.json()["error_code"]
    paths = client.get("/openapi.json").json()["paths"]
    assert {"400", "404", "422"} <= set(paths["/api/v1/runs/{run_id}/events"]["get"]["responses"])


def test_the_client_parses_what_the_server_sends() -> None:
    body = (
        ": keep-alive\n\n"
        + server_sent_event("log", {"text": "a:b\n", "last": 3})
        + "data: first\ndata:second\nid: 7\n\n"
        + "event: nothing\n\n"  # no data line: not an event
        + "event: end\ndata:\n\n"
        + "event: status\ndata: {}"  # cut off before its blank line
    )
    events = list(server_sent_events(body.split("\n")))
    assert events == [
        ("log", '{"text":"a:b\\n","last":3}'),
        ("message", "first\nsecond"),
        ("end", ""),
    ]
