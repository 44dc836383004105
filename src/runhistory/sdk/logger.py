"""Helpers for scripts written before this SDK: ``get_logger()`` and ``logging_handler()``.

>>> logger = get_logger()  # doctest: +SKIP
>>> logger.log("Accuracy", 0.9)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

USER_LOG = "logs/user_log.txt"


class RunLogger:
    """``log(name, value)``: a scalar, or a list when ``value`` is a list or tuple."""

    def __init__(self, run: Any = None) -> None:
        self._run = run

    @property
    def run(self) -> Any:
        if self._run is None:
            from runhistory.sdk.context import get_context

            self._run = get_context()
        return self._run

    def log(self, name: str, value: Any, description: str = "") -> None:
        if isinstance(value, (list, tuple)):
            self.run.log_list(name, value, description=description)
        else:
            self.run.log(name, value, description=description)

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        self.run.log_list(name, value, description=description)


def get_logger() -> RunLogger:
    """A logger for the current run (``Run.get_context()``), resolved at first use."""
    return RunLogger()


class RunLogHandler(logging.Handler):
    """Writes formatted records into the current run's log ``logs/user_log.txt``."""

    def __init__(self, run: Any = None, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._logger = RunLogger(run)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._logger.run._append_log(USER_LOG, self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def logging_handler(run: Any = None, level: int = logging.NOTSET) -> logging.Handler:
    """A ``logging.Handler`` writing into the run's log (the current run by default)."""
    return RunLogHandler(run, level)
