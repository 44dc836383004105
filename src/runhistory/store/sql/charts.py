"""Chart series straight from the chunk table: overviews for the chunks inside the step range,
decoded points for the chunks the range cuts (see ``store/overview.py``). A smoothed chart
decodes every point: its moving average runs over the whole series, not over the buckets."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from runhistory.errors import InvalidValueError, NotFoundError
from runhistory.model import MetricKind
from runhistory.store.chunk_format import Points
from runhistory.store.chunks import decode_chunk
from runhistory.store.overview import (
    DENSE_BUCKET_POINTS,
    ChartSeries,
    Segments,
    chart_from_segments,
    decode_overview,
    smoothed,
)
from runhistory.store.sql.database import Cursor

_CHARTED = (MetricKind.SCALAR.value, MetricKind.LIST.value)
_IN_LIST = 500  # seqs per IN (...) query, under every database's parameter limit


def read_chart(
    cursor: Cursor,
    run_id: str,
    name: str,
    buckets: int,
    first_step: int | None,
    last_step: int | None,
    smoothing: float = 0.0,
) -> ChartSeries:
    """The points of metric ``name`` with ``first_step <= step <= last_step`` in ``buckets``,
    smoothed first by a debiased moving average of weight ``smoothing`` (0: none) over all of
    them."""
    if buckets < 1:
        raise InvalidValueError(f"a chart needs at least one bucket, not {buckets}")
    if not 0 <= smoothing < 1:
        raise InvalidValueError(
            f"smoothing={smoothing!r} is not a weight in [0, 1); give e.g. 0.6, or 0 for none"
        )
    row = cursor.execute(
        "SELECT kind FROM metrics WHERE run_id = ? AND name = ?", (run_id, name)
    ).fetchone()
    if row is None:
        raise NotFoundError(f"run {run_id!r} has no metric {name!r}")
    if row[0] not in _CHARTED:
        raise InvalidValueError(
            f"metric {name!r} is a {row[0]} metric; charts draw scalar and list metrics"
        )
    low = -(2**63) if first_step is None else first_step
    high = 2**63 - 1 if last_step is None else last_step
    if smoothing > 0:
        return chart_from_segments(
            _smoothed_points(cursor, run_id, name, low, high, smoothing), buckets
        )
    inside: list[tuple[int, int]] = []
    cut: list[tuple[int, int]] = []
    points = 0
    for seq, count, first, last, has_overview in cursor.execute(
        "SELECT c.seq, c.count, c.first_step, c.last_step, o.seq IS NOT NULL "
        "FROM metric_chunks c LEFT JOIN metric_overviews o "
        "ON o.run_id = c.run_id AND o.name = c.name AND o.seq = c.seq "
        "WHERE c.run_id = ? AND c.name = ? ORDER BY c.seq",
        (run_id, name),
    ).fetchall():
        if has_overview and (last < low or first > high):
            continue  # steps only go up in a chunk with an overview: first and last bound them
        points += count
        (inside if has_overview and low <= first and last <= high else cut).append((seq, count))
    if points < buckets * DENSE_BUCKET_POINTS:
        cut, inside = sorted(cut + inside), []
    parts: dict[int, Segments] = {}
    counts = dict(inside)
    for seq, blob in _blobs(cursor, "metric_overviews", run_id, name, [s for s, _ in inside]):
        overview = decode_overview(blob, counts[seq])
        if overview is None:  # written by an earlier version: no last values
            cut.append((seq, counts[seq]))
        else:
            parts[seq] = overview
    for seq, blob in _blobs(cursor, "metric_chunks", run_id, name, [s for s, _ in cut]):
        parts[seq] = _points_in_range(decode_chunk(blob), name, low, high)
    return chart_from_segments(Segments.join([parts[seq] for seq in sorted(parts)]), buckets)


def _blobs(
    cursor: Cursor, table: str, run_id: str, name: str, seqs: Sequence[int]
) -> Iterator[tuple[int, bytes]]:
    for start in range(0, len(seqs), _IN_LIST):
        part = seqs[start : start + _IN_LIST]
        yield from cursor.execute(
            f"SELECT seq, data FROM {table} WHERE run_id = ? AND name = ? "
            f"AND seq IN ({', '.join('?' * len(part))})",
            (run_id, name, *part),
        ).fetchall()


def _smoothed_points(
    cursor: Cursor, run_id: str, name: str, low: int, high: int, smoothing: float
) -> Segments:
    seqs = [
        seq
        for (seq,) in cursor.execute(
            "SELECT seq FROM metric_chunks WHERE run_id = ? AND name = ? ORDER BY seq",
            (run_id, name),
        ).fetchall()
    ]
    blobs = dict(_blobs(cursor, "metric_chunks", run_id, name, seqs))
    chunks = [decode_chunk(blobs[seq]) for seq in seqs]
    if not chunks:
        return Segments.join([])
    steps = np.concatenate([np.asarray(c.steps, dtype=np.int64) for c in chunks])
    times = np.concatenate([np.asarray(c.timestamps_us, dtype=np.int64) for c in chunks])
    values = np.concatenate([_numbers(c, name) for c in chunks])
    keep = (steps >= low) & (steps <= high)
    return Segments.of_points(steps[keep], times[keep], smoothed(values, smoothing)[keep])


def _numbers(points: Points, name: str) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(points.values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"metric {name!r} holds values that are not numbers; it cannot be charted"
        ) from None


def _points_in_range(points: Points, name: str, low: int, high: int) -> Segments:
    steps = np.asarray(points.steps, dtype=np.int64)
    values = _numbers(points, name)
    keep = (steps >= low) & (steps <= high)
    times = np.asarray(points.timestamps_us, dtype=np.int64)
    return Segments.of_points(steps[keep], times[keep], values[keep])
