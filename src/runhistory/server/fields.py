"""Field types of requests: what each accepts, stated so that the OpenAPI document says the same.

A request the document allows must not be refused, and one it does not allow must be; so
every rule a route or the store would enforce later (names without control characters, 64-bit
integers, finite times) is part of the field's type and of its JSON Schema.

>>> import re
>>> [bool(re.match(ARTIFACT_NAME_PATTERN, name)) for name in ("outputs/a.txt", "../a.txt")]
[True, False]
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator, Field, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue, WithJsonSchema
from pydantic_core import CoreSchema

from runhistory.model import (
    MAX_NAME_LENGTH,
    MAX_VALUE_LENGTH,
    validate_artifact_name,
    validate_experiment_name,
    validate_log_stream,
)


def _json_number(value: object) -> object:
    """Pydantic's lax mode reads ``true`` as 1 and ``"1"`` as 1; a number field takes numbers."""
    if isinstance(value, (bool, str)):
        raise ValueError(f"{value!r} is not a number")
    return value


# Bounds such as 2**63 turn into floats in the document (and 2**63 - 1 rounds up to 2**63);
# the int64 format states the databases' range exactly.
INT64_SCHEMA = WithJsonSchema({"type": "integer", "format": "int64"})
COUNT_SCHEMA = WithJsonSchema({"type": "integer", "format": "int64", "minimum": 0})

Int64 = Annotated[int, BeforeValidator(_json_number), Field(ge=-(2**63), lt=2**63), INT64_SCHEMA]
Count = Annotated[int, BeforeValidator(_json_number), Field(ge=0, lt=2**63), COUNT_SCHEMA]
Time = Annotated[float, BeforeValidator(_json_number), Field(allow_inf_nan=False)]
Flag = Annotated[bool, Field(strict=True)]
JsonInt = Annotated[int, BeforeValidator(_json_number)]


class _KeysInPropertyNames:
    """States the key constraints of a ``dict`` as ``propertyNames``: pydantic writes them as
    ``patternProperties``, which in JSON Schema leaves keys that do not match unconstrained."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        ((pattern, values),) = schema.pop("patternProperties").items()
        schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
        schema["additionalProperties"] = values
        return schema


# Names of metrics, tags, properties and log streams, and tag and property values, as
# ``model.validate_name`` and ``model.validate_text_value`` accept them.
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=r"^[^\x00-\x1f\x7f]+$"),
]
Text = Annotated[str, Field(max_length=MAX_VALUE_LENGTH)]
Tags = Annotated[dict[Name, Text | None], _KeysInPropertyNames()]
Properties = Annotated[dict[Name, Text], _KeysInPropertyNames()]

# An experiment name, as ``model.validate_experiment_name`` accepts it. The validators placed
# last run first: a refusal says what a name may hold rather than quote the pattern.
ExperimentName = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$"),
    BeforeValidator(validate_experiment_name),
]

# A run file name, as ``model.validate_artifact_name`` accepts it: a relative POSIX path whose
# parts are neither empty, '.' nor '..', without backslashes or control characters, and not
# starting with a drive ('C:'). Written without lookarounds, which pydantic's regex engine lacks.
_CHAR = r"[^/\\\x00-\x1f\x7f]"
_NOT_DOT = r"[^/\\\x00-\x1f\x7f.]"
_PART = rf"(?:{_NOT_DOT}{_CHAR}*|\.{_NOT_DOT}{_CHAR}*|\.\.{_CHAR}+)"
_FIRST_PART = (
    rf"(?:[^/\\\x00-\x1f\x7f.A-Za-z]{_CHAR}*|[A-Za-z](?:[^/\\\x00-\x1f\x7f:]{_CHAR}*)?"
    rf"|\.{_NOT_DOT}{_CHAR}*|\.\.{_CHAR}+)"
)
ARTIFACT_NAME_PATTERN = rf"^{_FIRST_PART}(?:/{_PART})*$"
ArtifactName = Annotated[
    str,
    Path(
        max_length=1024,
        pattern=ARTIFACT_NAME_PATTERN,
        description="a relative path such as 'outputs/model.pkl'",
    ),
    BeforeValidator(validate_artifact_name),
]

# A log stream name, as ``model.validate_log_stream`` accepts it: a run file name (logs are
# downloaded as files) of at most 255 characters.
LogStreamName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=ARTIFACT_NAME_PATTERN),
    BeforeValidator(validate_log_stream),
]
