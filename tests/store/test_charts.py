"""Chart series from the store: buckets built from chunk overviews agree with the points they
summarise, on SQLite, PostgreSQL and through a server; chunks without an overview are decoded."""

from __future__ import annotations

import itertools
import math
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.errors import InvalidValueError, NotFoundError
from runhistory.store.overview import BLOCK_POINTS, DENSE_BUCKET_POINTS, ChartSeries

from ..conftest import make_workspace


@pytest.fixture(params=["sqlite", "postgresql", "server"])
def database_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(request.param, tmp_path, request)
    yield workspace
    workspace.close()


@pytest.fixture
def run(database_workspace: Workspace) -> Run:
    return Experiment(database_workspace, "charts").start_logging(snapshot_directory=None)


def noisy(count: int, seed: int = 1) -> np.ndarray:
    values = np.random.default_rng(seed).normal(size=count).cumsum()
    values[count // 3] = 1e6  # spikes a chart must keep
    values[2 * count // 3] = -1e6
    return values


def log_in_flushes(run: Run, name: str, values: np.ndarray, flushes: int = 3) -> None:
    for part in np.array_split(values, flushes):
        for value in part.tolist():
            run.log(name, value)
        run.flush()  # partial chunks merge into the next flush: overviews are rewritten


def assert_buckets_summarise(chart: ChartSeries, steps: np.ndarray, values: np.ndarray) -> None:
    """Every bucket's extremes are those of the points between its first and last step, the
    buckets cover the points in order, and their counts add up."""
    assert chart.count == len(steps)
    assert chart.first_steps[0] == steps[0] and chart.last_steps[-1] == steps[-1]
    for i, (first, last) in enumerate(zip(chart.first_steps, chart.last_steps, strict=True)):
        inside = values[(steps >= first) & (steps <= last)]
        assert chart.minimum[i] == inside.min() and chart.maximum[i] == inside.max(), i
        if i:
            assert first == chart.last_steps[i - 1] + 1  # contiguous, nothing skipped


def test_dense_charts_come_from_overviews_and_keep_every_extreme(run: Run) -> None:
    values = noisy(300_000)
    log_in_flushes(run, "loss", values)
    steps = np.arange(len(values))
    chart = run._store.metric_chart(run.id, "loss", 200)
    assert len(chart.minimum) == 200
    assert_buckets_summarise(chart, steps, values)
    assert max(chart.maximum) == 1e6 and min(chart.minimum) == -1e6
    counts = np.diff([*chart.first_steps, chart.last_steps[-1] + 1])
    assert counts.max() - counts.min() <= 2 * BLOCK_POINTS  # about equal: whole blocks


def test_a_step_range_decodes_only_the_chunks_it_cuts(run: Run) -> None:
    values = noisy(200_000, seed=2)
    log_in_flushes(run, "loss", values, flushes=2)
    first, last = 12_345, 187_654  # inside chunks at both ends
    chart = run._store.metric_chart(run.id, "loss", 100, first, last)
    steps = np.arange(first, last + 1)
    assert_buckets_summarise(chart, steps, values[first : last + 1])


def test_sparse_charts_and_chunks_without_overviews_are_exact(run: Run) -> None:
    values = noisy(50_000, seed=3)
    log_in_flushes(run, "loss", values, flushes=1)
    store = run._store
    exact = store.metric_chart(run.id, "loss", 2_000)
    assert 2_000 * DENSE_BUCKET_POINTS > 50_000  # points, not overviews
    edges = np.linspace(0, 50_000, 2_001)
    assert chart_counts(exact) == [int(b) - int(a) for a, b in itertools.pairwise(edges)]
    assert_buckets_summarise(exact, np.arange(50_000), values)


def test_chunks_without_overviews_chart_through_their_points(
    run: Run, request: pytest.FixtureRequest
) -> None:
    values = noisy(100_000, seed=4)
    log_in_flushes(run, "loss", values, flushes=2)
    # As chunks written before revision 0004 are: no overview rows.
    store = run._store
    if hasattr(store, "db"):
        store.db.write(lambda c: c.execute("DELETE FROM metric_overviews"))
    else:
        server = request.getfixturevalue("server")
        with sqlite3.connect(server.database) as connection:
            connection.execute("DELETE FROM metric_overviews")
    chart = store.metric_chart(run.id, "loss", 100)
    assert chart_counts(chart) == [1_000] * 100  # every point decoded: exactly equal buckets
    assert_buckets_summarise(chart, np.arange(100_000), values)


def chart_counts(chart: ChartSeries) -> list[int]:
    return [
        last - first + 1 for first, last in zip(chart.first_steps, chart.last_steps, strict=True)
    ]


def test_steps_that_go_back_and_nan_blocks(run: Run) -> None:
    steps = [*range(100_000), *range(50_000)]  # a second pass over earlier steps
    values = [float(i % 1000) for i in range(len(steps))]
    values[60_000 : 60_000 + 2 * BLOCK_POINTS] = [math.nan] * (2 * BLOCK_POINTS)
    for step, value in zip(steps, values, strict=True):
        run.log("acc", value, step=step)
    run.flush()
    store = run._store
    chart = store.metric_chart(run.id, "acc", 10, 40_000, 60_000)
    assert chart.count == 20_001 + 10_000  # both passes, by step
    assert chart.minimum[0] == 0.0 and chart.maximum[0] == 999.0
    whole = store.metric_chart(run.id, "acc", 10)
    assert None not in whole.minimum  # NaN is skipped unless a bucket is all NaN
    nan = store.metric_chart(run.id, "acc", 10, 60_100, 60_200)
    assert nan.minimum == nan.maximum == [None] * 10


def test_what_cannot_be_charted(run: Run) -> None:
    run.log("words", "a")
    run.log_row("curve", x=1, y=2)
    run.flush()
    store = run._store
    with pytest.raises(InvalidValueError, match=r"'words'.*not numbers"):
        store.metric_chart(run.id, "words", 10)
    with pytest.raises(InvalidValueError, match="'curve' is a row metric"):
        store.metric_chart(run.id, "curve", 10)
    with pytest.raises(NotFoundError, match="no metric 'nope'"):
        store.metric_chart(run.id, "nope", 10)


def test_each_bucket_carries_its_last_value_and_time(run: Run) -> None:
    values = noisy(300_000, seed=5)
    log_in_flushes(run, "loss", values)
    history = run.get_metric_history("loss")
    times = np.asarray(history.timestamps, dtype=np.float64)
    for buckets in (200, 5_000):  # from overviews, and from points
        chart = run._store.metric_chart(run.id, "loss", buckets)
        ends = np.asarray(chart.last_steps)
        assert chart.last == values[ends].tolist()
        assert np.allclose(chart.last_times, times[ends], rtol=0, atol=1e-6)


def test_overviews_of_the_first_format_chart_through_their_points(
    run: Run, request: pytest.FixtureRequest
) -> None:
    values = noisy(200_000, seed=6)
    log_in_flushes(run, "loss", values, flushes=1)
    # Format 1 held no last values: such chunks are decoded instead.
    downgrade = "UPDATE metric_overviews SET data = ?"
    first_format = b"\x01\x00\x00\x00\x00"
    store = run._store
    if hasattr(store, "db"):
        store.db.write(lambda c: c.execute(downgrade, (first_format,)))
    else:
        server = request.getfixturevalue("server")
        with sqlite3.connect(server.database) as connection:
            connection.execute(downgrade, (first_format,))
    chart = store.metric_chart(run.id, "loss", 100)
    assert chart_counts(chart) == [2_000] * 100  # every point decoded: exactly equal buckets
    assert_buckets_summarise(chart, np.arange(200_000), values)
    assert chart.last == values[np.asarray(chart.last_steps)].tolist()


def debiased_ema(values: list[float], weight: float) -> list[float]:
    """TensorBoard's smoothing, point by point as it writes it."""
    last, count, out = 0.0, 0, []
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        count += 1
        out.append(last / (1 - weight**count))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.99])
def test_smoothing_averages_every_point_before_bucketing(run: Run, weight: float) -> None:
    values = noisy(30_000, seed=7)
    values[100] = math.nan
    log_in_flushes(run, "loss", values, flushes=2)
    expected = np.asarray(debiased_ema(values.tolist(), weight))
    chart = run._store.metric_chart(run.id, "loss", 300, 10_000, 19_999, smoothing=weight)
    assert chart.count == 10_000
    steps = np.arange(10_000, 20_000)
    ends = np.asarray(chart.last_steps)
    assert np.allclose(chart.last, expected[ends], rtol=1e-9)
    for i, (first, last) in enumerate(zip(chart.first_steps, chart.last_steps, strict=True)):
        inside = expected[first : last + 1]
        assert math.isclose(chart.minimum[i], inside.min(), rel_tol=1e-9)  # type: ignore[arg-type]
        assert math.isclose(chart.maximum[i], inside.max(), rel_tol=1e-9)  # type: ignore[arg-type]
    assert chart.first_steps[0] == steps[0]
    with pytest.raises(InvalidValueError, match=r"smoothing"):
        run._store.metric_chart(run.id, "loss", 10, smoothing=1.0)
