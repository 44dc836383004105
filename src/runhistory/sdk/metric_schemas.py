"""The JSON metric kinds (confusion matrix, accuracy table, residuals, predictions).

Stored documents follow the Azure ML schemas: ``{"schema_type": ..., "schema_version": ...,
"data": {...}}``. Like the Azure SDK client, which only parses a JSON string and wraps the value,
any JSON value is accepted: a full document, its ``data`` object alone (``{"class_labels": ...,
"matrix": ...}``), or data that does not fit the schema (the Azure docs' own residuals example has
as many bin edges as counts). ``schema_fits`` says whether a viewer can draw it.

>>> wrap_json_metric(MetricKind.RESIDUALS, "r", {"bin_edges": [0, 1], "bin_counts": [3]})["data"]
{'bin_edges': [0, 1], 'bin_counts': [3]}
"""

from __future__ import annotations

import json
from typing import Any

from runhistory.errors import InvalidValueError
from runhistory.model import MetricKind

_REQUIRED = {
    MetricKind.CONFUSION_MATRIX: ("class_labels", "matrix"),
    MetricKind.ACCURACY_TABLE: ("probability_tables", "percentile_tables"),
    MetricKind.RESIDUALS: ("bin_edges", "bin_counts"),
    MetricKind.PREDICTIONS: ("bin_averages", "bin_errors", "bin_counts", "bin_edges"),
}
_VERSIONS = {
    MetricKind.CONFUSION_MATRIX: "1.0.0",
    MetricKind.ACCURACY_TABLE: "1.0.1",
    MetricKind.RESIDUALS: "1.0.0",
    MetricKind.PREDICTIONS: "1.0.0",
}
_ENVELOPE = ("schema_type", "schema_version", "data")


def wrap_json_metric(kind: MetricKind, name: str, value: Any) -> dict[str, Any]:
    """The document to store for ``value`` (any JSON value, or a JSON string of one)."""
    call = f"log_{kind.value}({name!r}, ...)"
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise InvalidValueError(f"{call} got a string that is not JSON: {error}") from None
    try:
        value = json.loads(json.dumps(value, default=_plain, allow_nan=True))
    except (TypeError, ValueError) as error:
        raise InvalidValueError(f"{call} takes a dict, a list or a JSON string; {error}") from None
    version = _VERSIONS[kind]
    if isinstance(value, dict) and "data" in value and set(value) <= set(_ENVELOPE):
        data = value["data"]
        version = str(value.get("schema_version", version))
    elif isinstance(value, dict):
        data = {k: v for k, v in value.items() if k not in ("schema_type", "schema_version")}
    else:
        data = value
    return {"schema_type": kind.value, "schema_version": version, "data": data}


def schema_fits(document: dict[str, Any]) -> bool:
    """Whether a stored document has what a viewer needs to draw it (the Azure schema's fields,
    with consistent shapes).

    >>> schema_fits({"schema_type": "residuals", "data": {"bin_edges": [0, 1], "bin_counts": [2, 3]}})
    False
    """
    try:
        kind = MetricKind(document.get("schema_type"))
    except ValueError:
        return False
    data = document.get("data")
    if kind not in _REQUIRED or not isinstance(data, dict):
        return False
    if any(key not in data for key in _REQUIRED[kind]):
        return False
    if kind is MetricKind.CONFUSION_MATRIX:
        labels, matrix = data["class_labels"], data["matrix"]
        return (
            isinstance(labels, list)
            and isinstance(matrix, list)
            and len(matrix) == len(labels)
            and all(isinstance(row, list) and len(row) == len(labels) for row in matrix)
        )
    if kind in (MetricKind.RESIDUALS, MetricKind.PREDICTIONS):
        edges, counts = data["bin_edges"], data["bin_counts"]
        return (
            isinstance(edges, list) and isinstance(counts, list) and len(edges) == len(counts) + 1
        )
    return True


def _plain(value: Any) -> Any:
    """numpy arrays and scalars as the lists and numbers JSON holds."""
    for method in ("tolist", "item"):
        convert = getattr(value, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"{type(value).__name__} is not JSON")
