"""Validation of the JSON metric kinds (confusion matrix, accuracy table, residuals, predictions).

Values follow the Azure ML schemas: ``{"schema_type": ..., "schema_version": ..., "data": {...}}``.

>>> validate_json_metric(MetricKind.RESIDUALS, "r", {"data": {"bin_edges": [0, 1], "bin_counts": [3]}})["schema_type"]
'residuals'
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


def validate_json_metric(kind: MetricKind, name: str, value: Any) -> dict[str, Any]:
    """The document to store for ``value`` (a dict or a JSON string), or InvalidValueError."""
    call = f"log_{kind.value}({name!r}, ...)"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as error:
            raise InvalidValueError(f"{call} got a string that is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidValueError(f"{call} takes a dict or a JSON string, not {type(value).__name__}")
    declared = value.get("schema_type", kind.value)
    if declared != kind.value:
        raise InvalidValueError(f"{call} got schema_type {declared!r}; it must be {kind.value!r}")
    data = value.get("data")
    if not isinstance(data, dict):
        raise InvalidValueError(f"{call} needs a 'data' object with {', '.join(_REQUIRED[kind])}")
    missing = [key for key in _REQUIRED[kind] if key not in data]
    if missing:
        raise InvalidValueError(f"{call} 'data' lacks {missing}")
    _check_shape(kind, call, data)
    return {
        "schema_type": kind.value,
        "schema_version": value.get("schema_version", _VERSIONS[kind]),
        "data": data,
    }


def _check_shape(kind: MetricKind, call: str, data: dict[str, Any]) -> None:
    if kind is MetricKind.CONFUSION_MATRIX:
        labels, matrix = data["class_labels"], data["matrix"]
        if (
            not isinstance(matrix, list)
            or len(matrix) != len(labels)
            or any(not isinstance(row, list) or len(row) != len(labels) for row in matrix)
        ):
            raise InvalidValueError(
                f"{call} 'matrix' must be {len(labels)} x {len(labels)}, one row and column per class label"
            )
    elif kind in (MetricKind.RESIDUALS, MetricKind.PREDICTIONS):
        edges, counts = data["bin_edges"], data["bin_counts"]
        if (
            not isinstance(edges, list)
            or not isinstance(counts, list)
            or len(edges) != len(counts) + 1
        ):
            raise InvalidValueError(f"{call} needs one more bin edge than bin counts")
