"""What every MLflow route shares: reading MLflow's requests, MLflow's error codes, and runhistory
records as MLflow's JSON messages (experiments, runs, metrics).

MLflow speaks protobuf messages as JSON: GET requests carry the fields as query parameters (a
repeated field as the parameter repeated), POST requests as a JSON body; int64 fields may arrive
as strings and doubles as "NaN" / "Infinity". Times are milliseconds since the epoch here and
seconds in the store.

>>> to_milliseconds(1700000000.123)
1700000000123
>>> mlflow_status(RunStatus.COMPLETED)
'FINISHED'
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Mapping
from typing import Any, Protocol, cast

from fastapi import Request

from runhistory.errors import (
    AuthenticationError,
    ConflictError,
    ExperimentExistsError,
    ExperimentNotFoundError,
    InvalidValueError,
    MetricKindError,
    NotFoundError,
    PermissionDeniedError,
    PropertyConflictError,
    RunHistoryError,
)
from runhistory.model import ExperimentRecord, MetricKind, RunRecord, RunStatus
from runhistory.store.base import MetricData, Store

API_PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")
ARTIFACTS_PREFIX = "/api/2.0/mlflow-artifacts"
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_TYPE = "mlflow"
# Tags runhistory keeps for MLflow's sake and does not show as MLflow tags.
HIDDEN_TAG_PREFIX = "runhistory.mlflow."
LIFECYCLE_TAG = HIDDEN_TAG_PREFIX + "lifecycle"
INPUT_TAG_PREFIX = HIDDEN_TAG_PREFIX + "input."
OUTPUT_TAG_PREFIX = HIDDEN_TAG_PREFIX + "output."
RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"
USER_TAG = "mlflow.user"

_STATUS_TO_MLFLOW = {
    RunStatus.NOT_STARTED: "SCHEDULED",
    RunStatus.QUEUED: "SCHEDULED",
    RunStatus.PREPARING: "SCHEDULED",
    RunStatus.STARTING: "SCHEDULED",
    RunStatus.RUNNING: "RUNNING",
    RunStatus.FINALIZING: "RUNNING",
    RunStatus.CANCEL_REQUESTED: "RUNNING",
    RunStatus.NOT_RESPONDING: "RUNNING",
    RunStatus.COMPLETED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.CANCELED: "KILLED",
}
STATUS_FROM_MLFLOW = {
    "RUNNING": RunStatus.RUNNING,
    "SCHEDULED": RunStatus.QUEUED,
    "FINISHED": RunStatus.COMPLETED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.CANCELED,
}


class MlflowStore(Store, Protocol):
    """The store methods the MLflow API needs beyond ``Store`` (``SqlStore`` has them)."""

    def create_experiment(
        self,
        name: str,
        *,
        experiment_id: str | None = None,
        tags: Mapping[str, str | None] | None = None,
    ) -> ExperimentRecord: ...
    def rename_experiment(self, experiment_id: str, name: str) -> None: ...
    def remove_experiment_tags(self, experiment_id: str, keys: list[str]) -> None: ...


def mlflow_store(request: Request) -> MlflowStore:
    store = request.app.state.store
    if not hasattr(store, "create_experiment"):
        raise InvalidValueError(
            f"the MLflow API needs a database store; {store.location} is not one"
        )
    return cast(MlflowStore, store)


# requests ------------------------------------------------------------------------------------


async def read_message(request: Request) -> dict[str, Any]:
    """The request's fields: query parameters (GET) merged under the JSON body (POST)."""
    fields: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in fields:
            previous = fields[key]
            fields[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[key] = value
    if request.method in ("POST", "PATCH", "PUT"):
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as error:
                raise InvalidValueError(f"the request body is not JSON: {error}") from None
            if not isinstance(body, dict):
                raise InvalidValueError("the request body must be a JSON object")
            fields.update(body)
    return fields


def required_string(fields: Mapping[str, Any], name: str, *aliases: str) -> str:
    for key in (name, *aliases):
        value = fields.get(key)
        if value not in (None, ""):
            if not isinstance(value, str):
                raise InvalidValueError(
                    f"Invalid value {json.dumps(value)} for parameter '{name}' supplied: "
                    "it must be a string"
                )
            return value
    raise InvalidValueError(f"Missing value for required parameter '{name}'.")


def optional_string(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValueError(
            f"Invalid value {json.dumps(value)} for parameter '{name}' supplied: it must be a string"
        )
    return value


def optional_int(fields: Mapping[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None or value == "":
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"Invalid value {json.dumps(value)} for parameter '{name}' supplied: "
            "it must be an integer"
        ) from None


def required_double(fields: Mapping[str, Any], name: str, where: str = "") -> float:
    """A double field; ``where`` prefixes the name in messages (``metrics[3].``)."""
    value = fields.get(name)
    if value is None:
        raise InvalidValueError(f"Missing value for required parameter '{where}{name}'.")
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(value)
        return float(value)  # "NaN", "Infinity" and "-Infinity" as protobuf writes them
    except (TypeError, ValueError):
        raise InvalidValueError(
            f"Invalid value {json.dumps(value)} for parameter '{name}' supplied: "
            "it must be a number"
        ) from None


def string_list(fields: Mapping[str, Any], name: str) -> list[str]:
    value = fields.get(name)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) for v in values):
        raise InvalidValueError(f"Invalid value {json.dumps(value)} for parameter '{name}'")
    return values


def object_list(fields: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    value = fields.get(name) or []
    if not isinstance(value, list):
        raise invalid(value, name, "it must be a list")
    # A client may send each item as a JSON document of its own.
    items = [json.loads(v) if isinstance(v, str) and v.startswith("{") else v for v in value]
    if not all(isinstance(v, dict) for v in items):
        raise invalid(value, name, "it must be a list of objects")
    return items


def string_value(fields: Mapping[str, Any], name: str) -> str:
    """An optional string field; absent is ''."""
    value = fields.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid(value, name, "it must be a string")
    return value


def invalid(value: Any, name: str, problem: str) -> InvalidValueError:
    shown = json.dumps(value)
    shown = shown if len(shown) <= 100 else shown[:97] + "..."
    return InvalidValueError(f"Invalid value {shown} for parameter '{name}' supplied: {problem}")


# errors --------------------------------------------------------------------------------------


def is_mlflow_path(path: str) -> bool:
    return path.startswith((*API_PREFIXES, ARTIFACTS_PREFIX, "/get-artifact"))


def mlflow_error(error: RunHistoryError) -> tuple[dict[str, str], int]:
    """MLflow's ``{error_code, message}`` body and status for a runhistory error."""
    if isinstance(error, (PropertyConflictError, MetricKindError)):
        code, status = "INVALID_PARAMETER_VALUE", 400
    elif isinstance(error, ExperimentExistsError):
        code, status = "RESOURCE_ALREADY_EXISTS", 400
    elif isinstance(error, NotFoundError):
        code, status = "RESOURCE_DOES_NOT_EXIST", 404
    elif isinstance(error, InvalidValueError):
        code, status = "INVALID_PARAMETER_VALUE", 400
    elif isinstance(error, ConflictError):
        code, status = "INVALID_STATE", 400
    elif isinstance(error, AuthenticationError):
        code, status = "UNAUTHENTICATED", 401
    elif isinstance(error, PermissionDeniedError):
        code, status = "PERMISSION_DENIED", 403
    else:
        code, status = "INTERNAL_ERROR", 500
    return {"error_code": code, "message": error.message}, status


# records -------------------------------------------------------------------------------------


def to_milliseconds(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def mlflow_status(status: RunStatus) -> str:
    return _STATUS_TO_MLFLOW[status]


def ensure_default_experiment(store: MlflowStore) -> None:
    """MLflow's experiment "0", which clients log to when no experiment is set."""
    try:
        store.get_experiment_by_id(DEFAULT_EXPERIMENT_ID)
    except ExperimentNotFoundError:
        # made by another request meanwhile, or a native experiment is named Default
        with contextlib.suppress(ExperimentExistsError):
            store.create_experiment(DEFAULT_EXPERIMENT_NAME, experiment_id=DEFAULT_EXPERIMENT_ID)


def get_experiment(store: MlflowStore, experiment_id: str) -> ExperimentRecord:
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        ensure_default_experiment(store)
    try:
        return store.get_experiment_by_id(experiment_id)
    except ExperimentNotFoundError:
        raise ExperimentNotFoundError(
            f"Could not find experiment with ID {experiment_id}"
        ) from None


def experiment_json(record: ExperimentRecord) -> dict[str, Any]:
    created = to_milliseconds(record.created)
    return {
        "experiment_id": record.id,
        "name": record.name,
        "artifact_location": f"mlflow-artifacts:/{record.id}",
        "lifecycle_stage": "deleted" if record.archived else "active",
        "last_update_time": created,
        "creation_time": created,
        "tags": [{"key": k, "value": v or ""} for k, v in record.tags.items()],
    }


def lifecycle_stage(record: RunRecord) -> str:
    return "deleted" if record.tags.get(LIFECYCLE_TAG) == "deleted" else "active"


def run_name(record: RunRecord) -> str:
    return record.display_name or str(record.tags.get(RUN_NAME_TAG) or "") or record.id


def artifact_uri(record: RunRecord) -> str:
    return f"mlflow-artifacts:/{record.experiment_id}/{record.id}/artifacts"


def run_info_json(record: RunRecord) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": record.id,
        "run_uuid": record.id,
        "run_name": run_name(record),
        "experiment_id": record.experiment_id,
        "user_id": record.tags.get(USER_TAG) or "",
        "status": mlflow_status(record.status),
        "start_time": to_milliseconds(record.started or record.created),
        "artifact_uri": artifact_uri(record),
        "lifecycle_stage": lifecycle_stage(record),
    }
    if record.ended is not None:
        info["end_time"] = to_milliseconds(record.ended)
    return info


def visible_tags(record: RunRecord) -> dict[str, str]:
    return {k: v or "" for k, v in record.tags.items() if not k.startswith(HIDDEN_TAG_PREFIX)}


def run_json(record: RunRecord, latest: list[dict[str, Any]]) -> dict[str, Any]:
    """A run as MLflow's ``Run`` message; ``latest`` is its metrics' latest points."""
    tags = visible_tags(record)
    tags.setdefault(RUN_NAME_TAG, run_name(record))
    if record.parent_id is not None:
        tags.setdefault(PARENT_TAG, record.parent_id)
    inputs = [
        json.loads(v or "{}") for k, v in record.tags.items() if k.startswith(INPUT_TAG_PREFIX)
    ]
    outputs = [
        json.loads(v or "{}") for k, v in record.tags.items() if k.startswith(OUTPUT_TAG_PREFIX)
    ]
    return {
        "info": run_info_json(record),
        "data": {
            "metrics": latest,
            "params": [{"key": k, "value": v} for k, v in record.properties.items()],
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
        },
        "inputs": {"dataset_inputs": inputs},
        "outputs": {"model_outputs": outputs},
    }


def scalar_points(data: MetricData) -> tuple[Any, Any, Any] | None:
    """(steps, milliseconds, float values) of a scalar metric of numbers; None for other kinds."""
    import numpy as np

    if data.kind is not MetricKind.SCALAR or len(data.steps) == 0:
        return None
    try:
        values = np.asarray(data.values, dtype=np.float64)
    except (TypeError, ValueError):
        return None  # a metric of strings: not an MLflow metric
    milliseconds = np.rint(np.asarray(data.timestamps, dtype=np.float64) * 1000).astype(np.int64)
    return np.asarray(data.steps, dtype=np.int64), milliseconds, values


def latest_metrics(metrics: list[MetricData]) -> list[dict[str, Any]]:
    """MLflow's latest point of each metric: the highest step, then time, then value."""
    import numpy as np

    latest = []
    for data in metrics:
        points = scalar_points(data)
        if points is None:
            continue
        steps, milliseconds, values = points
        order = np.lexsort((np.nan_to_num(values, nan=-np.inf), milliseconds, steps))
        index = int(order[-1])
        latest.append(metric_json(data.name, values[index], milliseconds[index], steps[index]))
    return latest


def metric_json(key: str, value: float, timestamp: int, step: int) -> dict[str, Any]:
    value = float(value)
    return {
        "key": key,
        "value": value if math.isfinite(value) else _nonfinite(value),
        "timestamp": int(timestamp),
        "step": int(step),
    }


def _nonfinite(value: float) -> str:
    # protobuf's JSON form of a double that is not finite, which MLflow's client parses
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def now_milliseconds() -> int:
    return round(time.time() * 1000)
