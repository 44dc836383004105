"""Request bodies (validated) and response documents (for the OpenAPI document) of the REST API.

Responses are built by ``encoding.py``; these models describe them. Write batches are columnar:
one entry per metric carries arrays of values, timestamps and (optionally) steps.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from runhistory.model import MAX_ROW_COLUMNS, MetricKind, RunStatus, validate_name
from runhistory.server.fields import (
    Count,
    ExperimentName,
    Flag,
    Int64,
    JsonInt,
    LogStreamName,
    Name,
    Properties,
    Tags,
    Time,
)


class ErrorDocument(BaseModel):
    error_code: str
    message: str


# experiments ------------------------------------------------------------------------------------


class ExperimentCreate(BaseModel):
    name: ExperimentName


class ExperimentUpdate(BaseModel):
    archived: Flag | None = None
    tags: Tags | None = None


class ExperimentDocument(BaseModel):
    id: str
    name: str
    archived: bool
    created: float
    tags: dict[str, str | None]
    run_count: int


# runs -------------------------------------------------------------------------------------------


class RunCreate(BaseModel):
    experiment_id: str = Field(min_length=1, max_length=64)
    status: RunStatus
    run_type: str = Field(min_length=1, max_length=64)
    parent_id: str | None = Field(default=None, max_length=512)
    display_name: str | None = None
    description: str | None = None
    target: str | None = Field(default=None, max_length=255)
    script_name: str | None = None
    arguments: list[str] = []
    tags: Tags | None = None
    properties: Properties | None = None
    started: Time | None = None
    run_id: str | None = Field(
        default=None, min_length=1, max_length=512, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
    )
    config: dict[str, Any] | None = None


class RunUpdate(BaseModel):
    """Only the fields given change; null clears a field, but a run always has arguments."""

    display_name: str | None = None
    description: str | None = None
    target: str | None = None
    script_name: str | None = None
    arguments: list[str] = []
    snapshot_id: str | None = None
    heartbeat: Time | None = None


class StatusChange(BaseModel):
    status: RunStatus
    started: Time | None = None
    ended: Time | None = None
    error: dict[str, Any] | None = None
    only_from: list[RunStatus] | None = None


class StatusChanged(BaseModel):
    changed: bool


class RunSearch(BaseModel):
    """Which runs to list; every given field must match (see ``store.base.RunQuery``)."""

    experiment_id: str | None = None
    parent_id: str | None = None
    include_children: Flag = True
    run_type: str | None = None
    target: str | None = None
    statuses: list[RunStatus] | None = None
    tags: dict[str, str | None] | list[str] | None = None
    properties: dict[str, str | None] | list[str] | None = None
    limit: Count | None = None
    format: Literal["documents", "table"] = Field(
        default="documents",
        description="'documents': a run document each; 'table': a RunTable, the runs' rows as "
        "the store keeps them (much cheaper for long listings)",
    )


class ClaimRequest(BaseModel):
    target: str = Field(min_length=1, max_length=255)
    limit: JsonInt = Field(ge=0, le=100_000)


class TagsUpdate(BaseModel):
    tags: Tags


class PropertiesUpdate(BaseModel):
    properties: Properties


class RunDocument(BaseModel):
    id: str
    experiment_id: str
    experiment_name: str
    number: int
    status: RunStatus
    run_type: str
    created: float
    parent_id: str | None
    display_name: str | None
    description: str | None
    target: str | None
    script_name: str | None
    arguments: list[str]
    started: float | None
    ended: float | None
    heartbeat: float | None
    error: dict[str, Any] | None
    snapshot_id: str | None
    config: dict[str, Any] | None
    tags: dict[str, str | None]
    properties: dict[str, str]
    metrics: dict[str, list[Any]] = Field(
        description="{name: [kind, count, last_step, last, min, max]}"
    )


class RunTableDocument(BaseModel):
    """Runs as rows of ``fields`` (newest first), with the (run id, key, value) rows of their
    tags and properties. ``arguments``, ``error`` and ``config`` are JSON text; the metric
    summaries are the compact text the store keeps, and one whose first line equals that of the
    row before it has '^' as its first line."""

    fields: list[str]
    rows: list[list[Any]]
    tags: list[tuple[str, str, str | None]]
    properties: list[tuple[str, str, str]]


# metrics and logs -------------------------------------------------------------------------------


class PackedColumn(BaseModel):
    """A numeric column as little-endian 64-bit numbers, base64-encoded: far cheaper to write
    and read than a JSON array of a million numbers."""

    dtype: Literal["<f8", "<i8"]
    base64: str


class ColumnRef(BaseModel):
    """The same column (timestamps or steps) as the metric at index ``same_as`` of the batch's
    ``metrics``, an earlier one: the metrics of one ``log_metrics`` call share them."""

    same_as: Count


class MetricColumns(BaseModel):
    """Points to append to one metric, as columns of equal length (each a JSON array, or a
    ``PackedColumn`` for numbers)."""

    run_id: str = Field(min_length=1, max_length=512)
    name: Name
    kind: MetricKind
    description: str = ""
    values: list[Any] | PackedColumn
    timestamps: list[Time] | PackedColumn | ColumnRef
    steps: list[Int64 | None] | PackedColumn | ColumnRef | None = None
    # The columns unpacked and resolved by WriteBatchDocument: values (a float64 array for
    # packed floats, else a list), timestamps, steps (lists).
    _columns: tuple[Any, list[float], list[int | None] | None] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _rows(self) -> MetricColumns:
        if not self.kind.is_columnar:
            return self
        if not isinstance(self.values, list):
            raise ValueError(
                f"{self.kind} metric {self.name!r}: values must be an array of objects, "
                "not a packed column"
            )
        for row in self.values:
            if not isinstance(row, dict) or len(row) > MAX_ROW_COLUMNS:
                raise ValueError(
                    f"{self.kind} metric {self.name!r}: each value must be an object of "
                    f"at most {MAX_ROW_COLUMNS} columns, not {str(row)[:60]}"
                )
            for column in row:
                validate_name("column", column)
        return self

    def columns(self) -> tuple[Any, list[float], list[int | None] | None]:
        assert self._columns is not None, "resolved when the batch is validated"
        return self._columns


class LogLines(BaseModel):
    run_id: str = Field(min_length=1, max_length=512)
    stream: LogStreamName
    created: Time
    text: str


class WriteBatchDocument(BaseModel):
    """One flush of a client. ``(client_id, seq)`` names it: a batch sent again is stored once."""

    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    seq: Count
    metrics: list[MetricColumns] = []
    logs: list[LogLines] = []
    heartbeats: list[str] = []

    @model_validator(mode="after")
    def _resolve_columns(self) -> WriteBatchDocument:
        """Unpack packed columns, resolve references to earlier metrics, check lengths."""
        import numpy as np

        def column(index: int, field: str) -> Any:
            found = getattr(self.metrics[index], field)
            if isinstance(found, ColumnRef):
                if found.same_as >= index:
                    raise ValueError(
                        f"metrics[{index}].{field}: same_as {found.same_as} must name an "
                        "earlier metric of the batch"
                    )
                return self.metrics[found.same_as].columns()[_FIELDS.index(field)]
            if isinstance(found, PackedColumn):
                numbers = unpack_column(found)
                if field == "timestamps" and not bool(np.isfinite(numbers).all()):
                    raise ValueError(f"metrics[{index}].timestamps must be finite numbers")
                return numbers.tolist()
            return found

        for index, metric in enumerate(self.metrics):
            values = metric.values
            if isinstance(values, PackedColumn):
                values = unpack_column(values)
                if values.dtype.kind != "f":
                    values = values.tolist()  # ints stay Python ints, as JSON ones do
            timestamps = column(index, "timestamps")
            steps = None if metric.steps is None else column(index, "steps")
            lengths = {len(values), len(timestamps)} | (
                {len(steps)} if steps is not None else set()
            )
            if len(lengths) != 1:
                raise ValueError(
                    f"metric {metric.name!r}: values, timestamps and steps must have the same "
                    f"length, not {', '.join(map(str, sorted(lengths)))}"
                )
            metric._columns = (values, timestamps, steps)
        return self


_FIELDS = ("values", "timestamps", "steps")


class WriteBatchResult(BaseModel):
    problems: list[str] = Field(description="parts of the batch that were refused, and why")
    duplicate: bool = Field(description="the batch had been stored before; nothing was written")


class MetricDocument(BaseModel):
    name: str
    kind: MetricKind
    description: str
    columns: list[str] | None
    steps: list[int]
    timestamps: list[float]
    values: list[Any]
    dtype: str | None = Field(description="numpy dtype of values, or null for a plain list")


class ChartDocument(BaseModel):
    """Consecutive points in buckets: each bucket's first and last step, least and greatest
    value (null where every value of the bucket is NaN, and for infinities, which JSON cannot
    carry), and the value (null likewise) and timestamp (seconds since the epoch) of its last
    point."""

    run_id: str
    name: str
    count: int = Field(description="points in the step range")
    first_steps: list[int]
    last_steps: list[int]
    minimum: list[float | None]
    maximum: list[float | None]
    last: list[float | None]
    last_times: list[float]


class LogText(BaseModel):
    text: str
    last: int = Field(description="id of the last entry read; pass it as 'after' to follow")


# files, snapshots, models -----------------------------------------------------------------------


class ArtifactDocument(BaseModel):
    name: str
    size: int
    sha256: str
    content_type: str
    created: float


class BlobDocument(BaseModel):
    size: int
    sha256: str


class SnapshotCreate(BaseModel):
    manifest: dict[str, Any]
    file_count: Count
    size: Count


class ModelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    run_id: str = Field(min_length=1, max_length=512)
    path: str
    files: list[str]
    tags: Tags = {}
    properties: Properties = {}
    description: str | None = None


class ModelDocument(BaseModel):
    name: str
    version: int
    run_id: str
    path: str
    files: list[str]
    tags: dict[str, str | None]
    properties: dict[str, str]
    description: str | None
    created: float


def unpack_column(column: PackedColumn) -> Any:
    """The numbers of a packed column, as a numpy array."""
    import numpy as np

    try:
        raw = base64.b64decode(column.base64, validate=True)
        return np.frombuffer(raw, dtype=column.dtype).astype(column.dtype[1:])
    except (binascii.Error, ValueError):
        raise ValueError(
            f"a packed column must hold base64 of whole {column.dtype} numbers"
        ) from None
