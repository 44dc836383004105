"""Chart series: a metric's points over a step range, reduced to at most N buckets by min/max.

A browser never receives a raw series: each bucket holds consecutive points (equal counts) and
answers its first and last step and the least and greatest value, so spikes stay visible.

>>> import numpy as np
>>> series = min_max_buckets(np.arange(10), np.arange(10.0), 2)
>>> series.minimum, series.maximum
([0.0, 5.0], [4.0, 9.0])
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from runhistory.errors import InvalidValueError
from runhistory.store.base import MetricData

MAX_BUCKETS = 10_000


@dataclasses.dataclass
class ChartSeries:
    count: int  # points in the step range
    first_steps: list[int]
    last_steps: list[int]
    minimum: list[float | None]
    maximum: list[float | None]


def chart_series(
    data: MetricData, buckets: int, first_step: int | None, last_step: int | None
) -> ChartSeries:
    """The points of ``data`` with ``first_step <= step <= last_step`` in ``buckets`` buckets."""
    values = _numbers(data)
    steps = np.asarray(data.steps, dtype=np.int64)
    keep = np.ones(len(steps), dtype=bool)
    if first_step is not None:
        keep &= steps >= first_step
    if last_step is not None:
        keep &= steps <= last_step
    return min_max_buckets(steps[keep], values[keep], buckets)


def min_max_buckets(steps: npt.NDArray[Any], values: npt.NDArray[Any], buckets: int) -> ChartSeries:
    count = len(steps)
    if count == 0:
        return ChartSeries(0, [], [], [], [])
    buckets = min(buckets, count)
    edges = np.linspace(0, count, buckets + 1).astype(np.int64)
    starts, ends = edges[:-1], edges[1:] - 1
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(values, starts)  # fmin/fmax skip NaN unless a bucket is all NaN
        high = np.fmax.reduceat(values, starts)
    return ChartSeries(
        count,
        steps[starts].tolist(),
        steps[ends].tolist(),
        _finite_or_none(low),
        _finite_or_none(high),
    )


def _numbers(data: MetricData) -> npt.NDArray[np.float64]:
    if data.kind.value not in ("scalar", "list"):
        raise InvalidValueError(
            f"metric {data.name!r} is a {data.kind} metric; charts draw scalar and list metrics"
        )
    try:
        return np.asarray(data.values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"metric {data.name!r} holds values that are not numbers; it cannot be charted"
        ) from None


def _finite_or_none(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values.tolist()]
