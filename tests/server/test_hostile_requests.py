"""Requests an attacker (or a broken client) sends to a real ``runhistory server`` subprocess:
each gets a 4xx with a JSON ``{error_code, message}`` that names what was wrong, never a 500
or a Python error, and stores nothing it should not."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator

import httpx
import pytest

from runhistory import Experiment, Run, Workspace
from tests.conftest import ServerProcess, isolated_settings

HUGE = "1" * 5000


@pytest.fixture
def run(server: ServerProcess) -> Iterator[Run]:
    server.empty()
    workspace = Workspace(server.url, settings=isolated_settings())
    started = Experiment(workspace, "hostile").start_logging(snapshot_directory=None)
    started.upload_file("outputs/data.bin", io.BytesIO(bytes(range(100))))
    yield started
    started.complete()
    workspace.close()


def api(server: ServerProcess, path: str) -> str:
    return f"{server.url}/api/v1{path}"


def assert_clean_refusal(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text[:300]
    document: dict[str, str] = response.json()
    assert set(document) == {"error_code", "message"}
    assert "Error(" not in document["message"] and "digits" not in document["message"]
    assert len(document["message"]) < 400
    return document


@pytest.mark.parametrize(
    "stream",
    ["/home/x/.bashrc", "logs/../../../x", "logs\\std_log.txt", "..", "logs/./x", "logs/\x07"],
)
def test_a_batch_with_a_log_stream_that_is_no_file_name_is_refused(
    server: ServerProcess, run: Run, stream: str
) -> None:
    batch = {
        "client_id": "hostile",
        "seq": 1,
        "logs": [{"run_id": run.id, "stream": stream, "created": 1.0, "text": "owned\n"}],
    }
    refused = assert_clean_refusal(httpx.post(api(server, "/batches"), json=batch), 422)
    assert "body.logs.0.stream" in refused["message"]
    assert "log stream name" in refused["message"]
    assert run.get_details()["logFiles"] == {}


@pytest.mark.parametrize("header", [f"bytes={HUGE}-", f"bytes=0{HUGE}-", f"bytes={HUGE}-{HUGE}"])
def test_a_range_past_any_file_is_refused_with_416(
    server: ServerProcess, run: Run, header: str
) -> None:
    response = httpx.get(
        api(server, f"/runs/{run.id}/artifacts/outputs/data.bin"), headers={"Range": header}
    )
    assert_clean_refusal(response, 416)
    assert response.headers["content-range"] == "bytes */100"


@pytest.mark.parametrize(
    ("header", "expected"),
    [(f"bytes=0-{HUGE}", bytes(range(100))), (f"bytes=-{HUGE}", bytes(range(100))),
     (f"bytes={'0' * 5000}98-", bytes([98, 99]))],
    ids=["huge-last", "huge-suffix", "zero-padded-first"],
)  # fmt: skip
def test_a_range_with_thousands_of_digits_that_fits_is_served(
    server: ServerProcess, run: Run, header: str, expected: bytes
) -> None:
    response = httpx.get(
        api(server, f"/runs/{run.id}/artifacts/outputs/data.bin"), headers={"Range": header}
    )
    assert response.status_code == 206
    assert response.content == expected


@pytest.mark.parametrize("position", [HUGE, "-1", "x", "", "9223372036854775808"])
def test_a_bad_event_position_is_refused_with_400(
    server: ServerProcess, run: Run, position: str
) -> None:
    response = httpx.get(
        api(server, f"/runs/{run.id}/events"), params={"after": f"logs/a.txt:{position}"}
    )
    refused = assert_clean_refusal(response, 400)
    assert "STREAM:POSITION" in refused["message"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("/runs/{run}/logs/logs/a.txt", "after"), ("/runs/{run}/chart", "first_step"),
     ("/runs/{run}/chart", "buckets"), ("/runs", "limit"), ("/models/m", "version"),
     ("/experiments/x/events", "seconds")],
)  # fmt: skip
@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}", "1e30", "x"])
def test_huge_or_bad_numbers_in_queries_are_refused_with_422(
    server: ServerProcess, run: Run, path: str, parameter: str, value: str
) -> None:
    params = {"name": "loss", "prefix": "x", parameter: value}
    response = httpx.get(api(server, path.format(run=run.id)), params=params)
    refused = assert_clean_refusal(response, 422)
    assert parameter in refused["message"]


def test_a_content_length_of_thousands_of_digits_gets_no_python_error(
    server: ServerProcess,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/v1/experiments HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + HUGE.encode() + b"\r\n\r\n{}"
        )
        answer = b""
        while block := connection.recv(65536):
            answer += block
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer[:300]
    assert b"Traceback" not in answer and b"Error(" not in answer
