"""MLflow's search syntax: what parses to what, what is refused and where, and how terms match."""

from __future__ import annotations

import math

import pytest

from runhistory.errors import InvalidValueError, SearchSyntaxError
from runhistory.search import Comparison, OrderKey, matches, parse_filter, parse_order_by


def test_terms_of_every_entity_and_operator() -> None:
    text = (
        "metrics.loss < 0.5 AND metrics.acc >= 1e-3 AND params.lr = '0.1' "
        "and tags.team != \"vision\" AND attributes.status IN ('FINISHED', 'RUNNING') "
        "AND run_name ILIKE '%Mix%' AND tags.note LIKE 'it''s%' AND params.opt NOT IN ('sgd')"
    )
    assert parse_filter(text) == [
        Comparison("metric", "loss", "<", 0.5),
        Comparison("metric", "acc", ">=", 0.001),
        Comparison("param", "lr", "=", "0.1"),
        Comparison("tag", "team", "!=", "vision"),
        Comparison("attribute", "status", "IN", ("FINISHED", "RUNNING")),
        Comparison("attribute", "run_name", "ILIKE", "%Mix%"),
        Comparison("tag", "note", "LIKE", "it's%"),
        Comparison("param", "opt", "NOT IN", ("sgd",)),
    ]


def test_quoted_keys_and_entity_aliases() -> None:
    assert parse_filter("metric.`val loss` <= -2 and tag.\"my key\" = 'x'") == [
        Comparison("metric", "val loss", "<=", -2.0),
        Comparison("tag", "my key", "=", "x"),
    ]
    assert parse_filter("param.a/b.c = 'x' AND attr.start_time > 10") == [
        Comparison("param", "a/b.c", "=", "x"),
        Comparison("attribute", "start_time", ">", 10.0),
    ]


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_filter_has_no_terms(empty: str | None) -> None:
    assert parse_filter(empty) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("metrics.loss <", "expected a value but the text ends at position 14"),
        ("metrics.loss < 1 OR params.a = 'b'", "OR is not supported"),
        ("foo.x = 'a'", "unknown entity 'foo'"),
        ("params.a < 'x'", "operator < cannot compare param 'a'"),
        ("metrics.a = 'x'", "compared with a number"),
        ("params.a = 1", "compared with a quoted string"),
        ("metrics.a ~ 1", "unexpected '~' at position 10"),
        ("params.a IN 'x'", "IN needs a list"),
        (
            "params.a = 'x' params.b = 'y'",
            "expected AND between terms, got 'params.b' at position 15",
        ),
    ],
)
def test_syntax_errors_say_what_and_where(text: str, problem: str) -> None:
    with pytest.raises(SearchSyntaxError) as caught:
        parse_filter(text)
    assert problem in caught.value.message
    assert repr(text) in caught.value.message
    assert isinstance(caught.value, InvalidValueError)


def test_order_by() -> None:
    assert parse_order_by(["metrics.loss DESC", "attributes.start_time", "params.`a b` asc"]) == [
        OrderKey("metric", "loss", False),
        OrderKey("attribute", "start_time", True),
        OrderKey("param", "a b", True),
    ]
    with pytest.raises(SearchSyntaxError, match="expected ASC or DESC, got 'UP' at position 13"):
        parse_order_by(["metrics.loss UP"])


def test_matching() -> None:
    assert matches(Comparison("metric", "loss", "<", 0.5), 0.25)
    assert not matches(Comparison("metric", "loss", "<", 0.5), 0.5)
    assert not matches(Comparison("metric", "loss", "<", 0.5), None)
    assert not matches(Comparison("metric", "loss", "<", 0.5), math.nan)
    assert matches(Comparison("tag", "t", "LIKE", "a_c%"), "abcdef")
    assert not matches(Comparison("tag", "t", "LIKE", "A%"), "abc")
    assert matches(Comparison("tag", "t", "ILIKE", "A%"), "abc")
    assert matches(Comparison("tag", "t", "LIKE", "a.c"), "a.c")
    assert not matches(Comparison("tag", "t", "LIKE", "a.c"), "abc")
    assert matches(Comparison("param", "p", "IN", ("x", "y")), "y")
    assert matches(Comparison("param", "p", "NOT IN", ("x", "y")), "z")
    assert matches(Comparison("attribute", "start_time", ">=", 10.0), 10)
