"""Chart series: a metric's points over a step range, reduced to at most N min/max buckets.

A browser never receives a raw series: each bucket holds consecutive points (about equal counts)
and answers its first and last step, the least and greatest value (so spikes stay visible) and the value and timestamp
of its last point (the line a chart draws through the band, and its x as wall time).

Reading every point of a long series to draw 2,000 buckets would decode it whole, so each stored
chunk of numbers also keeps an *overview*: for every block of ``BLOCK_POINTS`` points, its first
and last step, its least and greatest value, and the value and timestamp of its last point (48
bytes per block, under half a byte per point; overviews of format 1 lack the last two and their
chunks are decoded instead). A chart whose buckets span many blocks is built from the overviews of the chunks that lie
inside the step range, and only the chunks cut by the range are decoded. Buckets then end on block
boundaries, so their counts differ by less than a block; every extreme is still kept.

>>> points = Segments.of_points(np.arange(10), np.arange(10) * 10**6, np.arange(10.0))
>>> series = chart_from_segments(points, 2)
>>> series.minimum, series.maximum, series.last
([0.0, 5.0], [4.0, 9.0], [4.0, 9.0])
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

BLOCK_POINTS = 128
# A chart is drawn from overviews when its buckets average at least this many points: a block
# per bucket or more. Buckets of one or two blocks differ in count, but every one keeps its
# exact extremes and last value, and 50 runs of 100,000 points chart without decoding 5,000,000.
DENSE_BUCKET_POINTS = BLOCK_POINTS
MAX_BUCKETS = 10_000
_HEADER = struct.Struct("<BI")  # version, blocks
_VERSION = 2


@dataclasses.dataclass
class ChartSeries:
    count: int  # points in the step range
    first_steps: list[int]
    last_steps: list[int]
    minimum: list[float | None]
    maximum: list[float | None]
    last: list[float | None]  # the value of the bucket's last point
    last_times: list[float]  # its timestamp, seconds since the epoch


@dataclasses.dataclass
class Segments:
    """Consecutive runs of points, each with its count, first and last step, least and greatest
    value, last value and the timestamp of its last point (µs): single points (count 1) or the
    blocks of an overview."""

    counts: npt.NDArray[np.int64]
    first_steps: npt.NDArray[np.int64]
    last_steps: npt.NDArray[np.int64]
    low: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    last: npt.NDArray[np.float64]
    last_times_us: npt.NDArray[np.int64]

    @classmethod
    def of_points(
        cls, steps: npt.NDArray[Any], times_us: npt.NDArray[Any], values: npt.NDArray[Any]
    ) -> Segments:
        steps = np.asarray(steps, dtype=np.int64)
        values = np.asarray(values, dtype=np.float64)
        times_us = np.asarray(times_us, dtype=np.int64)
        return cls(
            np.ones(len(steps), dtype=np.int64), steps, steps, values, values, values, times_us
        )

    @classmethod
    def join(cls, parts: Sequence[Segments]) -> Segments:
        if not parts:
            return cls.of_points(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
        if len(parts) == 1:
            return parts[0]
        return cls(
            *(
                np.concatenate([getattr(part, field.name) for part in parts])
                for field in dataclasses.fields(cls)
            )
        )


def steps_go_up(steps: npt.NDArray[Any]) -> bool:
    """Whether no step is below the one before it (only such chunks get an overview)."""
    return len(steps) < 2 or not bool(np.any(steps[1:] < steps[:-1]))


def encode_overview(
    steps: npt.NDArray[Any], times_us: npt.NDArray[Any] | list[int], values: Any
) -> bytes | None:
    """The overview of one chunk whose ``steps_go_up``, or None when its values are not numbers."""
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "fib" or not len(values):
        return None
    steps = np.asarray(steps, dtype=np.int64)
    numbers = values.astype(np.float64)
    starts = np.arange(0, len(numbers), BLOCK_POINTS)
    ends = np.minimum(starts + BLOCK_POINTS, len(numbers)) - 1
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(numbers, starts)  # fmin/fmax skip NaN unless a block is all NaN
        high = np.fmax.reduceat(numbers, starts)
    little = "<i8", "<i8", "<f8", "<f8", "<f8", "<i8"
    times = np.asarray(times_us, dtype=np.int64)
    columns = (steps[starts], steps[ends], low, high, numbers[ends], times[ends])
    return _HEADER.pack(_VERSION, len(starts)) + b"".join(
        np.ascontiguousarray(c, dtype=d).tobytes() for c, d in zip(columns, little, strict=True)
    )


def decode_overview(blob: bytes, count: int) -> Segments | None:
    """The blocks of the overview of a chunk of ``count`` points; None for an overview of format
    1, which lacks last values (its chunk is decoded instead)."""
    version, blocks = _HEADER.unpack_from(blob)
    if version < _VERSION:
        return None
    if version != _VERSION:
        raise ValueError(f"metric overview format {version} is newer than this runhistory")
    view = np.frombuffer(blob, dtype="<i8", count=2 * blocks, offset=_HEADER.size)
    numbers = np.frombuffer(blob, dtype="<f8", count=3 * blocks, offset=_HEADER.size + 16 * blocks)
    times = np.frombuffer(blob, dtype="<i8", count=blocks, offset=_HEADER.size + 40 * blocks)
    counts = np.full(blocks, BLOCK_POINTS, dtype=np.int64)
    counts[-1] = count - BLOCK_POINTS * (blocks - 1)
    return Segments(
        counts,
        view[:blocks].astype(np.int64),
        view[blocks:].astype(np.int64),
        numbers[:blocks].astype(np.float64),
        numbers[blocks : 2 * blocks].astype(np.float64),
        numbers[2 * blocks :].astype(np.float64),
        times.astype(np.int64),
    )


def chart_from_segments(segments: Segments, buckets: int) -> ChartSeries:
    """Segments gathered into at most ``buckets`` buckets of about equal point counts (a segment
    is never split)."""
    counts = segments.counts
    total = int(counts.sum())
    if total == 0:
        return ChartSeries(0, [], [], [], [], [], [])
    buckets = min(buckets, total)
    # The bucket of each segment, from the position of its first point.
    bucket = (np.cumsum(counts) - counts) * buckets // total
    starts = np.flatnonzero(np.diff(bucket, prepend=-1))
    ends = np.append(starts[1:], len(counts)) - 1
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(segments.low, starts)
        high = np.fmax.reduceat(segments.high, starts)
    return ChartSeries(
        total,
        segments.first_steps[starts].tolist(),
        segments.last_steps[ends].tolist(),
        _finite_or_none(low),
        _finite_or_none(high),
        _finite_or_none(segments.last[ends]),
        (segments.last_times_us[ends] / 1e6).tolist(),
    )


def smoothed(values: npt.NDArray[np.float64], weight: float) -> npt.NDArray[np.float64]:
    """TensorBoard's debiased exponential moving average of ``values``: ``weight`` 0 keeps
    them, 0.99 smooths hard. NaN and infinities stay as they are and are left out of the average.

    >>> smoothed(np.array([1.0, 2.0, np.nan, 3.0]), 0.5).tolist()[:2]
    [1.0, 1.6666666666666667]
    """
    out = np.array(values, dtype=np.float64)
    finite = np.isfinite(out)
    series = out[finite]
    if weight <= 0 or len(series) < 2:
        return out
    # s[t] = w s[t-1] + (1-w) x[t], in rows short enough that w**-n cannot overflow: inside a
    # row, s[j] = w**(j+1) (carry + (1-w) sum_{i<=j} x[i] w**-(i+1)), carry the row before's end.
    size = max(1, min(len(series), int(200 / -np.log(weight))))
    rows = -(-len(series) // size)
    padded = np.zeros(rows * size)
    padded[: len(series)] = series
    powers = weight ** np.arange(1, size + 1, dtype=np.float64)  # w**(j+1)
    local = powers * np.cumsum(padded.reshape(rows, size) / powers, axis=1) * (1 - weight)
    ends, decay, carry = local[:, -1].tolist(), float(powers[-1]), 0.0
    carries = [0.0] * rows
    for row in range(1, rows):  # one scalar step per row
        carry = carries[row] = ends[row - 1] + decay * carry
    ema = (local + np.array(carries)[:, None] * powers).ravel()[: len(series)]
    # The debias factor 1 - w**(t+1) is 1 to double precision once w**(t+1) < 1e-17.
    biased = min(len(series), int(40 / -np.log(weight)) + 1)
    ema[:biased] /= 1.0 - weight ** np.arange(1, biased + 1, dtype=np.float64)
    out[finite] = ema
    return out


def _finite_or_none(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]
