"""The one exception tree of runhistory.

Every error the library raises on purpose is a ``RunHistoryError``. Each class has a stable
``error_code`` (the server sends it in ``{error_code, message}`` bodies and the REST client maps it
back to the same class) and the HTTP status that fits it.

>>> try:
...     raise RunNotFoundError("no run 'abc' in workspace '/tmp/ws'")
... except RunHistoryError as error:
...     (error.error_code, error.http_status)
('run_not_found', 404)
"""

from __future__ import annotations


class RunHistoryError(Exception):
    """Base class: a stable code, an HTTP status and a message that says what to do."""

    error_code = "runhistory_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValueError(RunHistoryError, ValueError):
    """A name, value or argument was refused; nothing was stored."""

    error_code = "invalid_value"
    http_status = 400


class SearchSyntaxError(InvalidValueError):
    """A search filter or order-by clause could not be parsed; the message names the position."""

    error_code = "search_syntax"


class SnapshotTooLargeError(InvalidValueError):
    """A source directory exceeds the snapshot limits; the message names the biggest offenders."""

    error_code = "snapshot_too_large"
    http_status = 413


class EnvironmentNotSupportedError(InvalidValueError):
    """A submitted run's environment asks for what cannot run on its target (conda-only
    packages, docker without a docker daemon); the run was not queued."""

    error_code = "environment_not_supported"


class UnsafeFileNameError(InvalidValueError):
    """A file or log name read from a store would be written outside the destination folder
    (absolute, '..', a backslash, a symlink leading out); that file was not written."""

    error_code = "unsafe_file_name"


class NotFoundError(RunHistoryError, LookupError):
    """Something asked for by name or id does not exist."""

    error_code = "not_found"
    http_status = 404


class WorkspaceNotFoundError(NotFoundError):
    error_code = "workspace_not_found"


class ExperimentNotFoundError(NotFoundError):
    error_code = "experiment_not_found"


class RunNotFoundError(NotFoundError):
    error_code = "run_not_found"


class ArtifactNotFoundError(NotFoundError):
    error_code = "artifact_not_found"


class ModelNotFoundError(NotFoundError):
    error_code = "model_not_found"


class ConflictError(RunHistoryError):
    """The request contradicts what is already stored; what is stored is kept."""

    error_code = "conflict"
    http_status = 409


class ExperimentExistsError(ConflictError):
    """An experiment of that name (or id) already exists."""

    error_code = "experiment_exists"


class MetricKindError(ConflictError):
    """A metric was logged with a different kind than its first use fixed."""

    error_code = "metric_kind_conflict"


class PropertyConflictError(ConflictError):
    """A write-once property was set again to a different value."""

    error_code = "property_conflict"


class ArtifactExistsError(ConflictError):
    """A file name of the run already holds different content."""

    error_code = "artifact_exists"


class InvalidStateError(ConflictError):
    """The run's status does not allow the call (for example starting a completed run)."""

    error_code = "invalid_state"


class AuthenticationError(RunHistoryError):
    """A request to a server carried no token, or one that is unknown or revoked."""

    error_code = "unauthenticated"
    http_status = 401


class PermissionDeniedError(RunHistoryError):
    """The token is valid but lacks the scope the request needs (read, write or admin)."""

    error_code = "permission_denied"
    http_status = 403


class RunFailedError(RunHistoryError):
    """A run that was waited for ended Failed (or Canceled); the message carries its error."""

    error_code = "run_failed"
    http_status = 409


class StoreError(RunHistoryError):
    """The store could not be read or written (database unreachable, schema too new, ...)."""

    error_code = "store_error"
    http_status = 503


def all_error_classes() -> dict[str, type[RunHistoryError]]:
    """Every error class by its ``error_code``, for turning error responses back into exceptions."""
    found: dict[str, type[RunHistoryError]] = {}
    pending: list[type[RunHistoryError]] = [RunHistoryError]
    while pending:
        cls = pending.pop()
        found[cls.error_code] = cls
        pending.extend(cls.__subclasses__())
    return found
