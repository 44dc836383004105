"""The one interface between the SDK (and later the server) and where runs are kept.

``SqlStore`` implements it over SQLite or PostgreSQL; the HTTP client will implement it over a
server, so the SDK never branches on where a workspace lives.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from runhistory.artifacts.base import ArtifactStore
from runhistory.errors import InvalidValueError
from runhistory.model import (
    ArtifactRecord,
    ExperimentRecord,
    MetricKind,
    ModelRecord,
    RunRecord,
    RunStatus,
    validate_log_stream,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from runhistory.store.overview import ChartSeries
    from runhistory.store.run_table import RunTable


@dataclasses.dataclass
class MetricAppend:
    """Points to append to one metric. ``steps`` is None when every point takes the next step;
    a list may hold None for points logged without a step among points logged with one."""

    run_id: str
    name: str
    kind: MetricKind
    description: str
    values: list[Any] | npt.NDArray[Any]  # an array only for float columns of log_metrics
    timestamps: list[float]
    steps: list[int | None] | None = None


@dataclasses.dataclass
class LogAppend:
    run_id: str
    stream: str
    created: float
    text: str


@dataclasses.dataclass
class WriteBatch:
    metrics: list[MetricAppend] = dataclasses.field(default_factory=list)
    logs: list[LogAppend] = dataclasses.field(default_factory=list)
    heartbeats: list[str] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.metrics or self.logs or self.heartbeats)


def drop_unsafe_log_streams(batch: WriteBatch) -> list[str]:
    """Remove from ``batch`` the log lines whose stream is not a valid file name (see
    ``model.validate_log_stream``); one problem per refused stream. The SDK refuses such names
    when they are logged; a store checks again, so no such name is ever stored."""
    refused: dict[str, str] = {}
    for entry in batch.logs:
        if entry.stream not in refused:
            try:
                validate_log_stream(entry.stream)
            except InvalidValueError as error:
                refused[entry.stream] = f"log lines of run {entry.run_id!r} refused: {error}"
    if refused:
        batch.logs[:] = [e for e in batch.logs if e.stream not in refused]
    return list(refused.values())


@dataclasses.dataclass
class MetricData:
    """A whole metric read back: its kind, description, row columns and points."""

    name: str
    kind: MetricKind
    description: str
    columns: list[str] | None
    steps: npt.NDArray[Any]
    timestamps: npt.NDArray[Any]  # seconds since the epoch, float64
    values: npt.NDArray[Any] | list[Any]


@dataclasses.dataclass(frozen=True)
class RunQuery:
    """Which runs to list; every given field must match."""

    experiment_id: str | None = None
    parent_id: str | None = None
    include_children: bool = True
    run_type: str | None = None
    target: str | None = None
    statuses: Sequence[RunStatus] | None = None
    tags: Mapping[str, str | None] | Sequence[str] | None = None
    properties: Mapping[str, str | None] | Sequence[str] | None = None
    limit: int | None = None


class Store(Protocol):
    """Everything the SDK reads and writes. Errors are ``runhistory.errors`` classes."""

    location: str
    artifacts: ArtifactStore

    # experiments
    def get_or_create_experiment(self, name: str) -> ExperimentRecord: ...
    def get_experiment(self, name: str) -> ExperimentRecord: ...
    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord: ...
    def list_experiments(self, view_type: str = "active") -> list[ExperimentRecord]: ...
    def update_experiment(
        self,
        experiment_id: str,
        archived: bool | None = None,
        tags: Mapping[str, str | None] | None = None,
    ) -> None: ...

    # runs
    def create_run(
        self,
        experiment_id: str,
        *,
        status: RunStatus,
        run_type: str,
        parent_id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        target: str | None = None,
        script_name: str | None = None,
        arguments: Sequence[str] = (),
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str] | None = None,
        started: float | None = None,
        run_id: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> RunRecord: ...
    def get_run(self, run_id: str) -> RunRecord: ...
    def find_runs(self, run_id_prefix: str, limit: int = 10) -> list[str]: ...
    def list_run_table(self, query: RunQuery) -> RunTable: ...
    def list_runs(self, query: RunQuery) -> list[RunRecord]: ...
    def update_run(self, run_id: str, **fields: Any) -> None: ...
    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        started: float | None = None,
        ended: float | None = None,
        error: Mapping[str, Any] | None = None,
        only_from: Sequence[RunStatus] | None = None,
    ) -> bool: ...
    def claim_runs(self, target: str, limit: int) -> list[RunRecord]: ...
    def set_tags(self, run_id: str, tags: Mapping[str, str | None]) -> None: ...
    def remove_tags(self, run_id: str, keys: Sequence[str]) -> None: ...
    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None: ...

    # metrics and logs
    def append(self, batch: WriteBatch) -> list[str]: ...
    def metric_kinds(self, run_id: str) -> dict[str, MetricKind]: ...
    def read_metrics(self, run_id: str, names: Sequence[str] | None = None) -> list[MetricData]: ...
    def metric_chart(
        self,
        run_id: str,
        name: str,
        buckets: int,
        first_step: int | None = None,
        last_step: int | None = None,
        smoothing: float = 0.0,
    ) -> ChartSeries: ...
    def read_log(self, run_id: str, stream: str, after: int = 0) -> tuple[str, int]: ...
    def log_streams(self, run_id: str) -> list[str]: ...

    # files
    def add_artifact(
        self, run_id: str, name: str, source: Any, *, fail_if_different: bool = True
    ) -> ArtifactRecord: ...
    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]: ...
    def get_artifact(self, run_id: str, name: str) -> ArtifactRecord: ...
    def open_artifact(self, run_id: str, name: str) -> Any: ...

    # snapshots and models
    def save_snapshot(
        self, snapshot_id: str, manifest: Mapping[str, Any], file_count: int, size: int
    ) -> None: ...
    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]: ...
    def register_model(
        self,
        name: str,
        run_id: str,
        path: str,
        files: Sequence[str],
        tags: Mapping[str, str | None],
        properties: Mapping[str, str],
        description: str | None,
    ) -> ModelRecord: ...
    def get_model(self, name: str, version: int | None = None) -> ModelRecord: ...
    def list_models(self, name: str | None = None) -> list[ModelRecord]: ...

    def close(self) -> None: ...
