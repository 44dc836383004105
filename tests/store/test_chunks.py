"""The chunk codec: lossless for every value type, compact for float series with integer steps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from runhistory.store.chunk_format import encode_small_chunk
from runhistory.store.chunks import decode_chunk, encode_chunk, typed_values

int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)
scalars = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.text(max_size=20),
)


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def as_list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else values.tolist()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_every_value_type_round_trips(data: st.DataObject) -> None:
    values = data.draw(
        st.one_of(st.lists(scalars, min_size=1, max_size=60), st.lists(st.floats(), min_size=1))
    )
    steps = data.draw(
        st.lists(st.integers(-(10**12), 10**12), min_size=len(values), max_size=len(values))
    )
    times = data.draw(st.lists(st.integers(0, 2**52), min_size=len(values), max_size=len(values)))
    for blob in (
        encode_chunk(np.array(steps), np.array(times), typed_values(values)),
        encode_small_chunk(steps, times, values),
    ):
        points = decode_chunk(blob)
        assert points.steps.tolist() == steps
        assert points.timestamps_us.tolist() == times
        decoded = as_list(points.values)
        assert all(same(a, b) for a, b in zip(values, decoded, strict=True)), (values, decoded)


@given(
    st.lists(
        st.dictionaries(st.text(min_size=1, max_size=5), scalars, max_size=4),
        min_size=1,
        max_size=20,
    )
)
def test_rows_round_trip(rows: list[dict[str, Any]]) -> None:
    steps = np.arange(len(rows))
    points = decode_chunk(encode_chunk(steps, steps, rows))
    assert len(points.values) == len(rows)
    for row, back in zip(rows, points.values, strict=True):
        assert row.keys() == back.keys()
        assert all(same(row[k], back[k]) for k in row)


def test_float_series_with_integer_steps_costs_under_eight_bytes_a_point() -> None:
    count = 8192
    values = np.random.default_rng(1).random(count)
    steps = np.arange(count)
    times = (1.8e15 + np.arange(count) * 50).astype(np.int64)
    blob = encode_chunk(steps, times, values)
    assert len(blob) / count < 8.0
    smooth = np.exp(-np.arange(count) / 1000.0)
    assert len(encode_chunk(steps, times, smooth)) / count < 8.0


def test_regular_steps_cost_nothing_per_point() -> None:
    count = 8192
    times = np.zeros(count, dtype=np.int64)
    zeros = np.zeros(count)
    dense = encode_chunk(np.arange(count) * 10 + 5, times, zeros)
    irregular = encode_chunk(
        np.cumsum(np.random.default_rng(2).integers(1, 1000, count)), times, zeros
    )
    assert len(dense) < 1_000 < 4_000 < len(irregular)
    assert decode_chunk(dense).steps.tolist() == list(range(5, count * 10 + 5, 10))


def test_columns_keep_their_narrow_types() -> None:
    assert typed_values([1.0, 2.0]).dtype == np.float64  # type: ignore[union-attr]
    assert typed_values([1, 2]).dtype == np.int64  # type: ignore[union-attr]
    assert typed_values([True, False]).dtype == np.bool_  # type: ignore[union-attr]
    assert typed_values([1, 2.5]) == [1, 2.5]
    assert typed_values([2**64]) == [2**64]


def test_extreme_int64_columns_round_trip_without_warnings() -> None:
    import warnings

    for column in ([-(2**63), 2**63 - 1, 0, -5], [2**63 - 1, 0], [-(2**63), 2**63 - 1], [5]):
        array = np.array(column, dtype=np.int64)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            points = decode_chunk(encode_chunk(array, array, array))
        assert points.steps.tolist() == column
        assert points.timestamps_us.tolist() == column
        assert as_list(points.values) == column


def test_zero_byte_planes_are_only_marked() -> None:
    count = 8192
    steps = np.arange(count)
    times = (1.8e15 + np.arange(count) * 10).astype(np.int64)  # deltas fit one byte
    whole_numbers = np.arange(count, dtype=np.float64)  # low mantissa bytes all zero
    assert len(encode_chunk(steps, times, whole_numbers)) / count < 3.0
