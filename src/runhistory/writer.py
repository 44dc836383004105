"""The background writer: logged points wait in memory and reach the store in batches.

``Run.log`` only appends to a ``SeriesBuffer``; a daemon thread takes what has accumulated every
flush interval and stores it in one transaction. ``flush()`` does the same synchronously, and an
``atexit`` hook flushes at interpreter exit, so a crash (SIGKILL) loses at most one interval.

Buffers are shared with the logging thread without a lock: the logging thread only appends, the
writer only removes a prefix no longer than every list, and each list operation is atomic.

>>> buffer = SeriesBuffer("loss", MetricKind.SCALAR, "")
>>> buffer.values.append(0.5); buffer.times.append(1.0)
>>> take(buffer, "run-1").values
[0.5]
"""

from __future__ import annotations

import atexit
import itertools
import logging
import operator
import threading
import time
import weakref
from collections.abc import Iterable
from typing import Any

from runhistory.model import MetricKind
from runhistory.store.base import LogAppend, MetricAppend, Store, WriteBatch

log = logging.getLogger("runhistory")


class SeriesBuffer:
    """Points of one metric not yet stored. ``steps`` stays None while no point gave a step."""

    __slots__ = ("description", "kind", "name", "steps", "times", "values")

    def __init__(self, name: str, kind: MetricKind, description: str) -> None:
        self.name = name
        self.kind = kind
        self.description = description
        self.values: list[Any] = []
        self.times: list[float] = []
        self.steps: list[int | None] | None = None

    def use_steps(self) -> list[int | None]:
        """Switch to explicit steps; points already waiting keep taking the next step."""
        if self.steps is None:
            self.steps = [None] * len(self.values)
        return self.steps


# A log_metrics call: step, time, names (one tuple shared by every call with that layout),
# values, and whether every value is a float.
Frame = tuple["int | None", float, tuple[str, ...], tuple[Any, ...], bool]
# Blocks of at least this many all-float frames become numpy columns; shorter ones stay lists, so
# a short process logging a few points never imports numpy.
NUMPY_BLOCK = 256


class RunBuffers:
    """Everything one run has logged and not yet stored.

    ``frames`` holds whole ``log_metrics`` calls (step, time, values) so that logging many metrics
    costs one append; they become per-metric columns when taken. A metric logged through frames is
    only appended to its series after the frames before it are settled (``settle_frames``), which
    keeps every metric's values in logging order.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.series: dict[str, SeriesBuffer] = {}
        self.logs: list[tuple[str, float, str]] = []
        self.frames: list[Frame] = []
        self.lock = (
            threading.Lock()
        )  # between settling frames and taking them, never on a fast path

    def settle_frames(self) -> None:
        """Move waiting frames into their series (before a value is appended there directly)."""
        with self.lock:
            for append in self._take_frames():
                series = self.series[append.name]
                values = (
                    append.values if isinstance(append.values, list) else append.values.tolist()
                )
                if append.steps is not None or series.steps is not None:
                    steps = series.use_steps()
                    series.values.extend(values)
                    series.times.extend(append.timestamps)
                    steps.extend(append.steps or [None] * len(append.values))
                else:
                    series.values.extend(values)
                    series.times.extend(append.timestamps)

    def take(self) -> tuple[list[MetricAppend], list[LogAppend]]:
        with self.lock:
            metrics = [m for m in (take(b, self.run_id) for b in list(self.series.values())) if m]
            # Frames are newer than anything already in a series (see settle_frames).
            metrics.extend(self._take_frames())
        count = len(self.logs)
        entries = self.logs[:count]
        del self.logs[:count]
        # Consecutive lines of one stream become one entry: one row per flush, not per line,
        # joined once (appending to the entry's text line by line copied it for every line).
        logs = []
        for stream, group in itertools.groupby(entries, key=operator.itemgetter(0)):
            lines = list(group)
            text = "".join(map(operator.itemgetter(2), lines))
            logs.append(LogAppend(self.run_id, stream, lines[0][1], text))
        return metrics, logs

    def _take_frames(self) -> list[MetricAppend]:
        """Remove the waiting frames and pivot them into one append per metric: consecutive
        frames with the same names become columns with C-level ``zip``, not a loop per value."""
        count = len(self.frames)
        if not count:
            return []
        frames = self.frames[:count]
        del self.frames[:count]
        appends = []
        for names, group in itertools.groupby(frames, key=operator.itemgetter(2)):
            block = list(group)
            steps = [frame[0] for frame in block]
            times = [frame[1] for frame in block]
            explicit = None if all(step is None for step in steps) else steps
            rows = map(operator.itemgetter(3), block)
            columns: list[Any]
            if len(block) >= NUMPY_BLOCK and all(map(operator.itemgetter(4), block)):
                columns = _float_columns(rows, len(block), len(names))
            else:
                columns = [list(column) for column in zip(*rows, strict=True)]
            for name, column in zip(names, columns, strict=True):
                series = self.series[name]
                appends.append(
                    MetricAppend(
                        self.run_id, name, series.kind, series.description, column, times, explicit
                    )
                )
        return appends


def _float_columns(rows: Iterable[tuple[float, ...]], count: int, width: int) -> list[Any]:
    """Columns of ``count`` rows of ``width`` floats as numpy arrays, read in one pass."""
    import numpy as np

    flat = np.fromiter(itertools.chain.from_iterable(rows), np.float64, count=count * width)
    return list(flat.reshape(count, width).T.copy())


def take(buffer: SeriesBuffer, run_id: str) -> MetricAppend | None:
    """Remove and return the points waiting in ``buffer`` (None if there are none)."""
    steps = buffer.steps
    count = min(len(buffer.values), len(buffer.times), len(steps) if steps is not None else 1 << 62)
    if count == 0:
        return None
    values = buffer.values[:count]
    times = buffer.times[:count]
    del buffer.values[:count]
    del buffer.times[:count]
    if steps is None and buffer.steps is not None:
        # The logging thread switched to explicit steps while this prefix was being taken.
        del buffer.steps[:count]
    taken_steps = None
    if steps is not None:
        taken_steps = steps[:count]
        del steps[:count]
        if all(s is None for s in taken_steps):
            taken_steps = None
    return MetricAppend(
        run_id, buffer.name, buffer.kind, buffer.description, values, times, taken_steps
    )


class Writer:
    """Flushes the buffers of every active run of one store, in the background and on demand."""

    def __init__(
        self, store: Store, interval: float = 1.0, heartbeat_interval: float = 10.0
    ) -> None:
        self.store = store
        self.interval = interval
        self.heartbeat_interval = heartbeat_interval
        self._runs: dict[str, RunBuffers] = {}
        self._retry = WriteBatch()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._last_heartbeat = time.monotonic()
        _live_writers.add(self)

    def register(self, buffers: RunBuffers) -> None:
        self._runs[buffers.run_id] = buffers
        if self._thread is None or not self._thread.is_alive():
            self._stopped = False
            self._thread = threading.Thread(
                target=self._loop, name="runhistory-writer", daemon=True
            )
            self._thread.start()

    def unregister(self, run_id: str) -> None:
        """Flush ``run_id``'s points and stop watching it."""
        self.flush()
        self._runs.pop(run_id, None)

    def flush(self) -> None:
        """Store everything logged so far; raises if the store refuses it (it is kept for retry)."""
        with self._flush_lock:
            batch = self._collect()
            if not batch:
                return
            try:
                problems = self.store.append(batch)
            except Exception:
                self._retry = batch
                raise
            self._retry = WriteBatch()
            for problem in problems:
                log.error("runhistory could not store logged values: %s", problem)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        _live_writers.discard(self)
        try:
            self.flush()
        except Exception as error:  # at exit nothing is left to raise to
            log.error("runhistory could not store the last logged values: %s", error)

    def _collect(self) -> WriteBatch:
        batch = self._retry
        self._retry = WriteBatch()
        for buffers in list(self._runs.values()):
            metrics, logs = buffers.take()
            batch.metrics.extend(metrics)
            batch.logs.extend(logs)
        now = time.monotonic()
        if now - self._last_heartbeat >= self.heartbeat_interval:
            self._last_heartbeat = now
            batch.heartbeats.extend(self._runs)
        return batch

    def _loop(self) -> None:
        while not self._stopped:
            self._wake.wait(self.interval)
            if self._stopped:
                return
            try:
                self.flush()
            except Exception as error:
                log.warning("runhistory will retry storing logged values: %s", error)


_live_writers: weakref.WeakSet[Writer] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for writer in list(_live_writers):
        writer.close()
        _report_unsent(writer.store)


def _report_unsent(store: Store) -> None:
    """A store that keeps batches for later (the spool of a server client) says so at exit."""
    report = getattr(store, "report_unsent", None)
    if report is not None:
        report()
