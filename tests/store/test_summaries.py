"""Run metric summaries survive their compact encoding exactly."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runhistory.store.summaries import MetricSummaries, decode_entries, encode_summaries

ENTRIES: dict[str, list[Any]] = {
    "loss": ["scalar", 10, 9, 0.125, -1.5, 3.0],
    "epoch": ["scalar", 3, 2, 2, 0.0, 2.0],
    "huge": ["scalar", 1, 0, 2**60, 2.0**60, 2.0**60],
    "name": ["scalar", 1, 0, "final", None, None],
    "nan": ["scalar", 2, 1, math.nan, 1.0, 1.0],
    "inf": ["list", 2, 1, math.inf, 0.0, math.inf],
    "row": ["row", 2, 1, {"x": 1, "y": None}, None, None],
    "none": ["scalar", 1, 0, None, None, None],
    "flag": ["scalar", 1, 0, True, None, None],
}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return type(a) is type(b) and a == b


def test_entries_round_trip_with_their_types() -> None:
    decoded = decode_entries(encode_summaries(ENTRIES))
    assert list(decoded) == list(ENTRIES)
    for name, entry in ENTRIES.items():
        assert all(same(a, b) for a, b in zip(entry, decoded[name], strict=True)), (
            name,
            decoded[name],
        )


def test_summaries_are_a_mapping_of_summary_objects() -> None:
    summaries = MetricSummaries(encode_summaries(ENTRIES))
    assert len(summaries) == len(ENTRIES) and "loss" in summaries and "nope" not in summaries
    loss = summaries["loss"]
    assert (loss.kind.value, loss.count, loss.last_step, loss.last, loss.minimum, loss.maximum) == (
        "scalar", 10, 9, 0.125, -1.5, 3.0,
    )  # fmt: skip
    assert summaries["row"].last == {"x": 1, "y": None}
    with pytest.raises(KeyError):
        summaries["nope"]


def test_last_values_is_the_column_view() -> None:
    values = MetricSummaries(encode_summaries(ENTRIES)).last_values()
    assert all(same(values[name], entry[3]) for name, entry in ENTRIES.items())
    floats_only = MetricSummaries(encode_summaries({"a": ["scalar", 1, 0, 0.5, 0.5, 0.5]}))
    assert floats_only.last_values() == {"a": 0.5}


def test_empty_summaries() -> None:
    assert dict(MetricSummaries("{}")) == {}
    assert decode_entries("{}") == {}


def test_the_plain_json_of_earlier_versions_still_reads() -> None:
    legacy = '{"loss": ["scalar", 2, 1, 0.5, 0.5, 1.0]}'
    assert MetricSummaries(legacy)["loss"].last == 0.5
