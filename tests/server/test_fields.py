"""The patterns the OpenAPI document states for names accept exactly what the server's checks
accept: a client that follows the document is never refused, and one that does not always is."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from runhistory.errors import InvalidValueError
from runhistory.model import validate_artifact_name, validate_experiment_name, validate_name
from runhistory.server.fields import (
    ARTIFACT_NAME_PATTERN,
    Count,
    ExperimentName,
    Name,
    Time,
)

# Characters that the rules treat specially, and any others.
TRICKY = st.text(st.sampled_from(list("aZ09._-:/\\ \x00\x1f\x7fé")), max_size=12)
NAMES = st.one_of(TRICKY, st.text(max_size=12))


def accepted(check: Any, value: str) -> bool:
    try:
        check(value)
    except InvalidValueError:
        return False
    return True


def schema_of(field: Any) -> dict[str, Any]:
    schema: dict[str, Any] = TypeAdapter(field).json_schema()
    return schema


@settings(max_examples=2000)
@given(NAMES)
@example("a:")
@example("ab:")
@example("...")
@example("..a")
@example("a/./b")
@example("trailing/")
@example("a\n")
def test_the_file_name_pattern_is_the_file_name_check(name: str) -> None:
    assert bool(re.fullmatch(ARTIFACT_NAME_PATTERN, name)) == accepted(validate_artifact_name, name)


@settings(max_examples=1000)
@given(NAMES)
def test_the_experiment_name_pattern_is_the_experiment_name_check(name: str) -> None:
    pattern = schema_of(ExperimentName)["pattern"]
    documented = bool(re.fullmatch(pattern, name))
    assert documented == accepted(validate_experiment_name, name)


@settings(max_examples=1000)
@given(st.one_of(NAMES, st.text(min_size=250, max_size=260)))
def test_the_name_schema_is_the_name_check(name: str) -> None:
    schema = schema_of(Name)
    documented = bool(re.fullmatch(schema["pattern"], name)) and (
        schema["minLength"] <= len(name) <= schema["maxLength"]
    )
    assert documented == accepted(lambda value: validate_name("tag", value), name)


@pytest.mark.parametrize("field", [Count, Time])
@pytest.mark.parametrize("value", [True, "1"])
def test_numbers_are_not_read_from_booleans_or_text(field: Any, value: object) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        TypeAdapter(field).validate_python(value)


def test_a_count_states_its_range_exactly() -> None:
    assert schema_of(Count) == {"type": "integer", "format": "int64", "minimum": 0}
    assert TypeAdapter(Count).validate_python(3.0) == 3
