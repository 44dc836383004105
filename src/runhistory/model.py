"""Plain data shared by every layer: statuses, metric kinds, records and input validation.

>>> RunStatus.COMPLETED.is_terminal
True
>>> validate_name("metric", "loss/train")
'loss/train'
"""

from __future__ import annotations

import dataclasses
import enum
import os
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from runhistory.errors import InvalidValueError

MAX_NAME_LENGTH = 255
MAX_VALUE_LENGTH = 5000
MAX_STRING_BYTES = 64 * 1024
MAX_ROW_COLUMNS = 1024
# Integers (steps and values) are stored as 64-bit integers by every store.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_EXPERIMENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")


class RunStatus(str, enum.Enum):
    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    STARTING = "Starting"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    NOT_RESPONDING = "NotResponding"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    def __str__(self) -> str:
        return self.value


_TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED})


class MetricKind(str, enum.Enum):
    SCALAR = "scalar"
    LIST = "list"
    ROW = "row"
    TABLE = "table"
    IMAGE = "image"
    CONFUSION_MATRIX = "confusion_matrix"
    ACCURACY_TABLE = "accuracy_table"
    RESIDUALS = "residuals"
    PREDICTIONS = "predictions"

    @property
    def is_artifact(self) -> bool:
        """Kinds whose values are references to artifacts of the run."""
        return self not in _VALUE_KINDS

    @property
    def is_columnar(self) -> bool:
        return self in (MetricKind.ROW, MetricKind.TABLE)

    def __str__(self) -> str:
        return self.value


_VALUE_KINDS = frozenset({MetricKind.SCALAR, MetricKind.LIST, MetricKind.ROW, MetricKind.TABLE})

# Which call logs each kind, for error messages.
LOGGING_CALL = {
    MetricKind.SCALAR: "log",
    MetricKind.LIST: "log_list",
    MetricKind.ROW: "log_row",
    MetricKind.TABLE: "log_table",
    MetricKind.IMAGE: "log_image",
    MetricKind.CONFUSION_MATRIX: "log_confusion_matrix",
    MetricKind.ACCURACY_TABLE: "log_accuracy_table",
    MetricKind.RESIDUALS: "log_residuals",
    MetricKind.PREDICTIONS: "log_predictions",
}


@dataclasses.dataclass(frozen=True)
class MetricSummary:
    """What run tables show of a metric without reading its points."""

    name: str
    kind: MetricKind
    count: int
    last_step: int | None
    last: Any
    minimum: float | None
    maximum: float | None


@dataclasses.dataclass(slots=True)
class RunRecord:
    """One run as the store keeps it."""

    id: str
    experiment_id: str
    experiment_name: str
    number: int
    status: RunStatus
    run_type: str
    created: float
    parent_id: str | None = None
    display_name: str | None = None
    description: str | None = None
    target: str | None = None
    script_name: str | None = None
    arguments: list[str] = dataclasses.field(default_factory=list)
    started: float | None = None
    ended: float | None = None
    heartbeat: float | None = None
    error: dict[str, Any] | None = None
    snapshot_id: str | None = None
    config: dict[str, Any] | None = None
    tags: dict[str, str | None] = dataclasses.field(default_factory=dict)
    properties: dict[str, str] = dataclasses.field(default_factory=dict)
    # Decoded on first use (see store/summaries.py): listing runs need not decode them all.
    metrics: Mapping[str, MetricSummary] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ExperimentRecord:
    id: str
    name: str
    archived: bool
    created: float
    tags: dict[str, str | None]
    run_count: int


@dataclasses.dataclass(frozen=True)
class ArtifactRecord:
    """A file of a run: relative POSIX name, size in bytes, sha256 and content type."""

    name: str
    size: int
    sha256: str
    content_type: str
    created: float


@dataclasses.dataclass(frozen=True)
class ModelRecord:
    name: str
    version: int
    run_id: str
    path: str
    files: list[str]
    tags: dict[str, str | None]
    properties: dict[str, str]
    description: str | None
    created: float


def validate_name(what: str, name: object) -> str:
    """A metric, tag, property or column name: 1-255 characters, no control characters."""
    if not isinstance(name, str):
        raise InvalidValueError(f"{what} name {name!r} is not a string; pass a str")
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidValueError(
            f"{what} name {_preview(name)} has {len(name)} characters; "
            f"use 1 to {MAX_NAME_LENGTH} characters"
        )
    if _CONTROL_CHARACTERS.search(name):
        raise InvalidValueError(f"{what} name {name!r} contains a control character; remove it")
    if not is_unicode_text(name):
        raise InvalidValueError(
            f"{what} name {name!r} is not valid Unicode text (it holds a lone surrogate, as text "
            "decoded with errors='surrogateescape' does); decode it properly or remove them"
        )
    return name


def is_unicode_text(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8: no lone surrogates such as ``'\\ud800'``,
    which no store (nor JSON, nor PostgreSQL) can keep."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_experiment_name(name: object) -> str:
    if not isinstance(name, str) or not _EXPERIMENT_NAME.match(name):
        raise InvalidValueError(
            f"experiment name {name!r} is not allowed; use 1-255 letters, digits, '_', '-' or '.', "
            "starting with a letter or digit"
        )
    return name


def validate_text_value(what: str, value: object) -> str:
    """A tag or property value: a string (other scalars are converted) of at most 5,000 chars."""
    if isinstance(value, (list, tuple, dict, set)):
        raise InvalidValueError(
            f"{what} value {_preview(value)} must be a scalar, not a collection"
        )
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_VALUE_LENGTH:
        raise InvalidValueError(
            f"{what} value {_preview(text)} has {len(text)} characters; "
            f"the limit is {MAX_VALUE_LENGTH}"
        )
    return text


def validate_artifact_name(name: object) -> str:
    """A run file name: a relative POSIX path without '..', backslashes, NUL or empty parts."""
    if not isinstance(name, str) or not name:
        raise InvalidValueError(
            f"file name {name!r} must be a non-empty relative path such as 'outputs/model.pkl'"
        )
    problem = None
    if "\x00" in name:
        problem = "contains NUL"
    elif "\\" in name:
        problem = "contains a backslash; use '/' between folders"
    elif name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        problem = "is absolute; give a path relative to the run such as 'outputs/model.pkl'"
    elif any(part in ("", ".", "..") for part in name.split("/")):
        problem = "has an empty, '.' or '..' part; name the file without them"
    elif _CONTROL_CHARACTERS.search(name):
        problem = "contains a control character"
    elif len(name) > 1024:
        problem = "is longer than 1,024 characters"
    if problem:
        raise InvalidValueError(f"file name {name!r} {problem}")
    return name


def normalize_artifact_name(name: object) -> str:
    """A run file name as the caller may spell it (``./outputs/model.pkl``, ``outputs//m.pkl``,
    ``outputs/``), normalised as the Azure SDK does with ``os.path.normpath`` (POSIX rules), then
    checked by ``validate_artifact_name``. A name with a ``..`` part stays refused.

    >>> normalize_artifact_name("./outputs/model.pkl")
    'outputs/model.pkl'
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    # '..' is never resolved away: "outputs/../x" names a file outside where it says.
    if (
        isinstance(name, str)
        and name
        and "\\" not in name
        and "\x00" not in name
        and ".." not in name.split("/")
        and posixpath.normpath(name) != "."
    ):
        name = posixpath.normpath(name)
    return validate_artifact_name(name)


def validate_log_stream(stream: object) -> str:
    """A log stream name (``logs/std_log.txt``): a file name of the run, as
    ``validate_artifact_name`` accepts it, of at most 255 characters. Logs are listed and
    downloaded as files, so a stream name lands on disk under the reader's destination folder."""
    if isinstance(stream, str) and stream in _KNOWN_STREAMS:
        return stream
    try:
        validate_artifact_name(stream)
    except InvalidValueError as error:
        raise InvalidValueError(f"log stream name: {error.message}") from None
    assert isinstance(stream, str)
    if len(stream) > MAX_NAME_LENGTH:
        raise InvalidValueError(
            f"log stream name {_preview(stream)} has {len(stream)} characters; "
            f"use at most {MAX_NAME_LENGTH}"
        )
    if len(_KNOWN_STREAMS) < 64:
        _KNOWN_STREAMS.add(stream)
    return stream


# Stream names already checked: a run appends to a handful of streams, once per printed line.
_KNOWN_STREAMS: set[str] = set()


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "...'"
