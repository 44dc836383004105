"""What no store can keep is refused at the call, and one such value never stops what is logged
after it: on every backend, the points around a refused call are stored and the run completes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runhistory import Run
from runhistory.errors import InvalidValueError

UNSTORABLE: dict[str, Callable[[Run], Any]] = {
    "step 2**63": lambda run: run.log("loss", 0.5, step=2**63),
    "step below -2**63": lambda run: run.log("loss", 0.5, step=-(2**63) - 1),
    "log_metrics step 2**63": lambda run: run.log_metrics({"loss": 0.5}, step=2**63),
    "surrogate in a metric name": lambda run: run.log("a\ud800b", 1.0),
    "surrogate in a log_metrics name": lambda run: run.log_metrics({"a\udfffb": 1.0}),
    "surrogate in a list name": lambda run: run.log_list("l\ud800", [1.0]),
    "surrogate in a column name": lambda run: run.log_row("row", **{"c\ud800": 1}),
    "surrogate in a table column": lambda run: run.log_table("table", {"c\ud800": [1]}),
    "surrogate in a string value": lambda run: run.log("note", "a\ud800b"),
    "surrogate in a list value": lambda run: run.log_list("notes", ["fine", "\udc80"]),
    "surrogate in a row value": lambda run: run.log_row("row", c="\ud800"),
    "int beyond the float range": lambda run: run.log("count", 10**400),
    "int beyond the float range in log_metrics": lambda run: run.log_metrics({"x": -(10**400)}),
    "string over 64 KiB in UTF-8": lambda run: run.log("note", "é" * 32_769),
    "NUL in a description": lambda run: run.log("described", 1.0, description="a\x00b"),
    "surrogate in a description": lambda run: run.log("described", 1.0, description="\ud800"),
}


@pytest.mark.parametrize("logging_call", UNSTORABLE.values(), ids=UNSTORABLE.keys())
def test_an_unstorable_value_is_refused_at_the_call_and_later_points_are_stored(
    run: Run, logging_call: Callable[[Run], Any]
) -> None:
    run.log("loss", 1.0, step=0)
    run.log_metrics({"x": 1.0})
    with pytest.raises(InvalidValueError):
        logging_call(run)
    run.log("loss", 2.0, step=1)
    run.log_metrics({"x": 2.0})  # the layout the refused call may have seen first
    run.complete()
    assert run.get_status() == "Completed"
    metrics = run.get_metrics()
    assert metrics["loss"] == [1.0, 2.0] and metrics["x"] == [1.0, 2.0]
    assert run.get_metric_history("loss").steps.tolist() == [0, 1]


def test_the_messages_name_the_value_and_the_bound(run: Run) -> None:
    with pytest.raises(InvalidValueError, match=r"9223372036854775808 .*-9223372036854775808 to "):
        run.log("loss", 0.5, step=2**63)
    with pytest.raises(InvalidValueError, match="lone surrogate"):
        run.log("a\ud800b", 1.0)
    with pytest.raises(InvalidValueError, match="float"):
        run.log_metrics({"count": 10**400})


def test_the_bounds_themselves_are_stored(run: Run) -> None:
    run.log("edge", 1.0, step=2**63 - 1)
    run.log("edge", 2.0, step=-(2**63))
    run.log("ints", 2**63 - 1)
    run.log("ints", -(2**63))
    run.log("ints", 10**300)  # past 64 bits, within the float range
    run.log_metrics({"ints": 2**64})
    run.log("text", "a\x00b")  # NUL is fine inside a value
    run.log("text", "é" * 32_768)  # exactly 64 KiB of UTF-8
    run.log("\U0001f600", "\U0001f600")
    metrics = run.get_metrics()
    assert run.get_metric_history("edge").steps.tolist() == [2**63 - 1, -(2**63)]
    assert metrics["ints"] == [2**63 - 1, -(2**63), 10**300, 2**64]
    assert metrics["text"] == ["a\x00b", "é" * 32_768]
    assert metrics["\U0001f600"] == "\U0001f600"


def test_points_without_a_step_after_the_largest_step_stay_there(run: Run) -> None:
    run.log("edge", 1.0, step=2**63 - 1)
    run.log("edge", 2.0)  # the next step would be 2**63
    run.flush()
    run.log("edge", 3.0)
    run.log_list("listed", [1.0])
    run.complete()
    assert run.get_status() == "Completed"
    history = run.get_metric_history("edge")
    assert history.values.tolist() == [1.0, 2.0, 3.0]
    assert history.steps.tolist() == [2**63 - 1] * 3
