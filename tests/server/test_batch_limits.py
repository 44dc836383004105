"""Batches against a real ``runhistory server`` whose request limit is small: a flush larger than
the limit is stored whole and in order, pieces sent twice are stored once, a point that can never
fit waits in the spool's ``refused/`` folder, and a part the server refuses does not take the rest
of its batch with it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.errors import StoreError
from runhistory.model import MetricKind
from runhistory.store.base import MetricAppend, WriteBatch
from runhistory.store.batches import batch_body
from runhistory.store.rest import RestStore
from tests.conftest import ServerProcess, isolated_settings

LIMIT = 150_000


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNHISTORY_MAX_REQUEST_BYTES", str(LIMIT))
        started = ServerProcess(tmp_path_factory.mktemp("small-server"))
    yield started
    started.stop()


@pytest.fixture
def workspace(small_server: ServerProcess, tmp_path: Path) -> Iterator[Workspace]:
    small_server.empty()
    # One flush for everything a test logs, unless a buffer fills first.
    workspace = Workspace(small_server.url, settings=isolated_settings(flush_interval=30))
    workspace._store = RestStore(small_server.url, spool=tmp_path / "spool")
    yield workspace
    workspace.close()


def new_run(workspace: Workspace) -> Run:
    return Experiment(workspace, "limits").start_logging(snapshot_directory=None, outputs=None)


def test_a_flush_far_over_the_limit_is_stored_whole_and_in_order(
    workspace: Workspace, tmp_path: Path
) -> None:
    run = new_run(workspace)
    texts = [f"{i:05d}" + "x" * 60_000 for i in range(100)]  # 6 MB, 40 times the limit
    for text in texts:
        run.log("text", text)
    for step in range(200_000):
        run.log_metrics({"a": float(step), "b": float(-step)}, step=step)
    for value in range(50_000):
        run.log("x", value)
    run.complete()
    assert run.get_status() == "Completed"
    assert run.get_metrics(name="text")["text"] == texts
    history = run.get_metric_history("a")
    assert np.array_equal(history.values, np.arange(200_000, dtype=np.float64))
    assert np.array_equal(history.steps, np.arange(200_000))
    assert np.array_equal(run.get_metric_history("b").values, -np.arange(200_000.0))
    assert run.get_metrics(name="x")["x"] == list(range(50_000))
    assert not list((tmp_path / "spool").rglob("*.json"))  # nothing waits, nothing refused
    assert isinstance(workspace.store, RestStore) and workspace.store.max_body <= LIMIT


def test_pieces_of_a_batch_sent_twice_are_stored_once(
    workspace: Workspace, small_server: ServerProcess
) -> None:
    run = new_run(workspace)
    count = 50_000  # about ten times the limit once encoded
    steps = list(range(count))
    batch = WriteBatch(
        [
            MetricAppend(
                run.id, "x", MetricKind.SCALAR, "", [s * 0.5 for s in steps], [time.time()] * count
            )
        ]
    )
    body = batch_body("a-client", 1, batch)
    assert len(body) > LIMIT
    other = RestStore(small_server.url)  # as another process sending the same spooled batch
    assert other.deliver(body) == []
    assert other.deliver(body) == []
    assert RestStore(small_server.url).deliver(body) == []
    assert run.get_metric_history("x").values.tolist() == [s * 0.5 for s in steps]


def test_a_point_larger_than_the_limit_waits_in_the_spool_and_the_rest_is_stored(
    workspace: Workspace, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run = new_run(workspace)
    run.log("x", 1.0)
    run.log("huge", "é" * 32_768)  # 64 KiB, 196 KB as JSON: more than the server takes
    run.log("x", 2.0)
    run.complete()
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"x": [1.0, 2.0]}
    (kept,) = (tmp_path / "spool" / "refused").glob("*.json")
    assert "é" * 100 in kept.read_bytes().decode("unicode_escape")
    assert any("'huge'" in r.getMessage() and str(kept) in r.getMessage() for r in caplog.records)


def test_a_part_the_server_refuses_does_not_take_the_rest_of_its_batch(
    workspace: Workspace,
) -> None:
    run = new_run(workspace)
    now = time.time()

    def points(name: str, steps: list[int]) -> MetricAppend:
        return MetricAppend(
            run.id, name, MetricKind.SCALAR, "", [1.0] * len(steps), [now] * len(steps), steps
        )

    batch = WriteBatch(
        [points("before", list(range(1000))), points("bad", [2**63]), points("after", [5])]
    )
    problems = workspace.store.append(batch)
    assert len(problems) == 1 and "'bad'" in problems[0], problems
    assert run.get_metric_history("before").steps.tolist() == list(range(1000))
    assert run.get_metric_history("after").steps.tolist() == [5]


@pytest.mark.slow
def test_the_issue_flush_of_1200_strings_of_65000_characters_is_stored(
    server: ServerProcess, tmp_path: Path
) -> None:
    """78 MB in one flush, over the default 64 MiB limit of a server."""
    server.empty()
    workspace = Workspace(server.url, settings=isolated_settings(flush_interval=30))
    workspace._store = RestStore(server.url, spool=tmp_path / "spool")
    run = new_run(workspace)
    for i in range(1_200):
        run.log("text", f"{i:05d}" + "x" * 64_995)
    run.complete()
    stored = run.get_metrics(name="text")["text"]
    workspace.close()
    assert len(stored) == 1_200
    assert [text[:5] for text in stored] == [f"{i:05d}" for i in range(1_200)]
    assert all(len(text) == 65_000 for text in stored)


def test_a_batch_sent_without_answer_is_not_stored_twice_when_its_parts_come_again(
    tmp_path: Path,
) -> None:
    """After a flush got no answer, the writer may pass its entries again one by one."""
    server = ServerProcess(tmp_path)
    try:
        workspace = Workspace(server.url, settings=isolated_settings())
        run = new_run(workspace)
        store = RestStore(server.url)  # no spool: the unanswered batch is kept in memory
        now = time.time()
        first = MetricAppend(run.id, "a", MetricKind.SCALAR, "", [1.0], [now])
        second = MetricAppend(run.id, "b", MetricKind.SCALAR, "", [2.0], [now])
        server.kill()
        with pytest.raises(StoreError):
            store.append(WriteBatch([first, second]))
        server.start()
        assert store.append(WriteBatch([first])) == []  # sends the kept batch, then nothing
        assert store.append(WriteBatch([second])) == []
        assert store.append(WriteBatch([first, second])) == []
        assert run.get_metrics() == {"a": 1.0, "b": 2.0}
        workspace.close()
    finally:
        server.stop()
