"""Whatever ``log*`` accepts is stored and read back equal; whatever no store can keep is refused at
the call. Hypothesis drives ``log``, ``log_metrics``, ``log_list``, ``log_row`` and ``log_table``
with arbitrary names, steps and values on an embedded workspace, on PostgreSQL and on a real
``runhistory server`` subprocess; every call either raises a ``RunHistoryError`` at once or is
kept, and after a flush the run holds exactly the calls that were kept (NaN equal to NaN)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runhistory import Experiment, Run, Workspace
from runhistory.errors import RunHistoryError
from tests.conftest import make_workspace

# Every character, lone surrogates and control characters included.
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
NAMES = st.one_of(
    st.sampled_from(["loss", "acc", "a/b", "x"]),  # names that come back, so kinds collide
    st.text(ANY_CHARACTER, max_size=8),
    st.sampled_from(["", "n" * 255, "n" * 256, "a\ud800b", "a\x00b", "tab\there", "\U0001f600"]),
)
TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=12),
    st.sampled_from(["x" * 65_536, "x" * 65_537, "é" * 32_768, "é" * 32_769, "a\x00b"]),
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 10**308, 10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
)
STEPS = st.one_of(
    st.none(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1]),
)
# log_row's own parameters cannot be column names passed as keywords.
COLUMNS = NAMES.filter(lambda name: name not in ("name", "description"))
CALLS = st.one_of(
    st.tuples(st.just("log"), NAMES, VALUES, STEPS),
    st.tuples(st.just("log_metrics"), st.dictionaries(NAMES, VALUES, max_size=4), STEPS),
    st.tuples(st.just("log_list"), NAMES, st.lists(VALUES, max_size=5)),
    st.tuples(st.just("log_row"), NAMES, st.dictionaries(COLUMNS, VALUES, min_size=1, max_size=4)),
    st.tuples(
        st.just("log_table"),
        NAMES,
        st.integers(1, 3).flatmap(
            lambda rows: st.dictionaries(
                COLUMNS, st.lists(VALUES, min_size=rows, max_size=rows), min_size=1, max_size=3
            )
        ),
    ),
)


class Expected:
    """What a run must hold: each metric's kind and its values (scalars, or rows) in order."""

    def __init__(self) -> None:
        self.kinds: dict[str, str] = {}
        self.values: dict[str, list[Any]] = {}

    def add(self, name: str, kind: str, values: list[Any]) -> None:
        self.kinds.setdefault(name, kind)
        self.values.setdefault(name, []).extend(values)

    def metrics(self) -> dict[str, Any]:
        """The metrics as ``get_metrics`` shapes them."""
        shaped: dict[str, Any] = {}
        for name, values in self.values.items():
            if self.kinds[name] in ("row", "table"):
                columns = list(dict.fromkeys(c for row in values for c in row))
                if len(values) == 1:
                    shaped[name] = {c: values[0].get(c) for c in columns}
                else:
                    shaped[name] = {c: [row.get(c) for row in values] for c in columns}
            else:
                shaped[name] = values[0] if len(values) == 1 else values
        return shaped


def call(run: Run, expected: Expected, logged: tuple[Any, ...]) -> None:
    """Make one logging call; record what it logged unless it was refused."""
    what = logged[0]
    try:
        if what == "log":
            _what, name, value, step = logged
            run.log(name, value, step=step)
            expected.add(name, "scalar", [value])
        elif what == "log_metrics":
            _what, metrics, step = logged
            run.log_metrics(metrics, step=step)
            for name, value in metrics.items():
                expected.add(name, "scalar", [value])
        elif what == "log_list":
            _what, name, values = logged
            run.log_list(name, values)
            if values:
                expected.add(name, "list", list(values))
        elif what == "log_row":
            _what, name, row = logged
            run.log_row(name, **row)
            expected.add(name, "row", [row])
        else:
            _what, name, table = logged
            run.log_table(name, table)
            rows = [
                dict(zip(table, values, strict=True))
                for values in zip(*table.values(), strict=True)
            ]
            expected.add(name, "table", rows)
    except RunHistoryError:
        pass  # refused at the call: nothing of it may be stored


def same(stored: Any, logged: Any) -> bool:
    """Equal, of the same type (1, 1.0 and True differ), NaN equal to NaN."""
    if isinstance(logged, dict):
        return (
            isinstance(stored, dict)
            and stored.keys() == logged.keys()
            and all(same(stored[k], logged[k]) for k in logged)
        )
    if isinstance(logged, list):
        return (
            isinstance(stored, list)
            and len(stored) == len(logged)
            and all(same(s, v) for s, v in zip(stored, logged, strict=True))
        )
    if isinstance(logged, float) and math.isnan(logged):
        return isinstance(stored, float) and math.isnan(stored)
    return type(stored) is type(logged) and stored == logged


@pytest.fixture(params=["sqlite", "postgresql", "server"])
def property_workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    workspace = make_workspace(request.param, tmp_path, request)
    yield workspace
    workspace.close()


@pytest.mark.slow
def test_every_logging_call_is_refused_at_once_or_stored_equal(
    property_workspace: Workspace,
) -> None:
    experiment = Experiment(property_workspace, "properties")

    @settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(CALLS, min_size=1, max_size=8))
    def logging_calls(calls: list[tuple[Any, ...]]) -> None:
        run = experiment.start_logging(snapshot_directory=None, outputs=None)
        expected = Expected()
        for logged in calls:
            call(run, expected, logged)
        run.flush()
        stored = run.get_metrics()
        wanted = expected.metrics()
        assert stored.keys() == wanted.keys()
        for name, value in wanted.items():
            assert same(stored[name], value), (name, stored[name], value)
        run.complete()
        assert run.get_status() == "Completed"

    logging_calls()
