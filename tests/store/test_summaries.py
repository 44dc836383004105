"""Run metric summaries survive their compact encoding exactly."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runhistory.store.summaries import (
    MetricSummaries,
    decode_entries,
    encode_summaries,
    entries_of,
    patch_summaries,
)

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


LASTS = st.one_of(
    st.floats(allow_nan=True),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.text(max_size=5),
    st.booleans(),
    st.none(),
)
ENTRY = st.tuples(
    st.sampled_from(["scalar", "list", "row"]),
    st.integers(min_value=0, max_value=10**9),
    st.one_of(st.none(), st.integers(min_value=-(2**40), max_value=2**40)),
    LASTS,
    st.one_of(st.none(), st.floats(allow_nan=False)),
    st.one_of(st.none(), st.floats(allow_nan=False)),
).map(list)
NAMES = st.sampled_from([f"m{i}" for i in range(12)])


@settings(max_examples=300, deadline=None)
@given(
    before=st.dictionaries(NAMES, ENTRY, max_size=12),
    changes=st.dictionaries(NAMES, ENTRY, max_size=12),
    kinds_stay=st.booleans(),
)
def test_patching_entries_reads_as_encoding_them_all(
    before: dict[str, list[Any]], changes: dict[str, list[Any]], kinds_stay: bool
) -> None:
    if kinds_stay:  # the common case: a metric's kind and value type do not change
        changes = {
            name: [before[name][0], *entry[1:3], before[name][3], *entry[4:]]
            if name in before
            else entry
            for name, entry in changes.items()
        }
    text = encode_summaries(before)
    patched = patch_summaries(text, changes)
    expected = decode_entries(encode_summaries({**before, **changes}))
    got = decode_entries(patched)
    assert list(got) == list(expected)
    for name, entry in expected.items():
        assert all(same(a, b) for a, b in zip(entry, got[name], strict=True)), (name, got[name])
    read = entries_of(patched, [*changes, "absent"])
    assert list(read) == list(changes)
    for name, entry in read.items():
        assert all(same(a, b) for a, b in zip(entry, got[name], strict=True)), (name, entry)


def test_patching_a_wide_run_changes_only_the_patched_metrics() -> None:
    before = {f"metric_{i:05d}": ["scalar", i, i, float(i), 0.0, float(i)] for i in range(10_000)}
    text = encode_summaries(before)
    changes = {
        name: ["scalar", 99, 99, -1.5, -1.5, 9.0]
        for name in ("metric_00001", "metric_00002", "metric_09999")
    }
    patched = patch_summaries(text, changes)
    assert len(patched) == len(text)
    assert decode_entries(patched) == {**before, **changes}
    assert entries_of(patched, ["metric_00002", "metric_05000"]) == {
        "metric_00002": changes["metric_00002"],
        "metric_05000": before["metric_05000"],
    }
