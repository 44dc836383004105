"""Records of the store as JSON documents, the inverse of what ``store/rest.py`` decodes.

Responses allow NaN and infinities (metric values may be NaN); Python's ``json`` reads them back.

>>> from runhistory.model import ExperimentRecord
>>> experiment_json(ExperimentRecord("e1", "demo", False, 1.0, {}, 0))["name"]
'demo'
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.responses import JSONResponse

from runhistory.errors import RunHistoryError
from runhistory.model import ArtifactRecord, ExperimentRecord, ModelRecord, RunRecord
from runhistory.store.base import MetricData
from runhistory.store.run_table import RUN_FIELDS, RunTable, share_headers


class NanJSONResponse(JSONResponse):
    """JSON that keeps NaN and infinities as Python's ``json`` writes them."""

    def render(self, content: Any) -> bytes:
        return _json_bytes(content)


class FastJSONResponse(JSONResponse):
    """JSON by orjson, several times faster than ``json`` on long listings, for content that
    holds no NaN or infinity (orjson writes those as null); what orjson refuses (lone
    surrogates, integers beyond 64 bits) goes through ``json``."""

    def render(self, content: Any) -> bytes:
        import orjson

        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return _json_bytes(content)


def _json_bytes(content: Any) -> bytes:
    # Non-ASCII characters go as UTF-8, not as escapes: escaping scans every character again.
    try:
        return json.dumps(content, **_COMPACT, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate (from a file name, say): escape it
        return json.dumps(content, **_COMPACT).encode()


_COMPACT: dict[str, Any] = {"separators": (",", ":"), "allow_nan": True}


def json_response(content: Any, status_code: int = 200) -> NanJSONResponse:
    return NanJSONResponse(content, status_code=status_code)


def error_document(error: RunHistoryError) -> dict[str, str]:
    """The body of an error response: ``{error_code, message}``."""
    return {"error_code": error.error_code, "message": error.message}


def experiment_json(record: ExperimentRecord) -> dict[str, Any]:
    return dataclasses.asdict(record)


def artifact_json(record: ArtifactRecord) -> dict[str, Any]:
    return dataclasses.asdict(record)


def model_json(record: ModelRecord) -> dict[str, Any]:
    return dataclasses.asdict(record)


def run_json(record: RunRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "experiment_id": record.experiment_id,
        "experiment_name": record.experiment_name,
        "number": record.number,
        "status": record.status.value,
        "run_type": record.run_type,
        "created": record.created,
        "parent_id": record.parent_id,
        "display_name": record.display_name,
        "description": record.description,
        "target": record.target,
        "script_name": record.script_name,
        "arguments": record.arguments,
        "started": record.started,
        "ended": record.ended,
        "heartbeat": record.heartbeat,
        "error": record.error,
        "snapshot_id": record.snapshot_id,
        "config": record.config,
        "tags": record.tags,
        "properties": record.properties,
        "metrics": {
            s.name: [s.kind.value, s.count, s.last_step, s.last, s.minimum, s.maximum]
            for s in record.metrics.values()
        },
    }


def run_table_json(table: RunTable) -> dict[str, Any]:
    """A ``RunTableDocument``: the rows as they are, but for repeated summary header lines."""
    return {
        "fields": RUN_FIELDS,
        "rows": share_headers(table.rows),
        "tags": table.tags,
        "properties": table.properties,
    }


def metric_json(data: MetricData) -> dict[str, Any]:
    values = data.values
    dtype = None if isinstance(values, list) else str(values.dtype)
    return {
        "name": data.name,
        "kind": data.kind.value,
        "description": data.description,
        "columns": data.columns,
        "steps": data.steps.tolist(),
        "timestamps": data.timestamps.tolist(),
        "values": values if isinstance(values, list) else values.tolist(),
        "dtype": dtype,
    }
