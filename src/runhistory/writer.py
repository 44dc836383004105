"""The background writer: logged points wait in memory and reach the store in batches.

``Run.log`` only appends to a ``SeriesBuffer``; a daemon thread takes what has accumulated every
flush interval and stores it in one transaction. ``flush()`` does the same synchronously, and an
``atexit`` hook flushes at interpreter exit, so a crash (SIGKILL) loses at most one interval.

Buffers are bounded, whatever the logging rate: a buffer that reaches its budget, or that waited
an interval while the writer thread was late (starved of the GIL by the logging loop, or of the
CPU), is stored by the logging call itself, after any flush in progress (an early flush that is
also backpressure). A thread logging faster than the store takes points waits for it, instead
of piling up points that a SIGKILL would lose. ``log`` pays one length check for this; every
``limit`` points a slower call looks at the budget and the clock.

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

# Points one run may hold before logging stores them itself: a flush of this many floats takes
# about 40 ms, a tenth of a second's logging at the fastest rate a Python loop reaches.
RUN_POINTS = 262_144
# The least limit of one series (or of a run's log_metrics calls), however many series a run has:
# a flush costs about as much per series as per 10,000 points, so fewer points per flush would
# make it mostly overhead.
SERIES_POINTS = 8_192
# How many flushes try a part of a batch that the store refuses while it stores the rest, before
# the part is reported and dropped.
REFUSED_ATTEMPTS = 2


class SeriesBuffer:
    """Points of one metric not yet stored. ``steps`` stays None while no point gave a step;
    ``limit`` is the length at which logging stores the buffers itself (see ``Writer.relieve``).
    """

    __slots__ = ("base_limit", "description", "kind", "limit", "name", "steps", "times", "values")

    def __init__(self, name: str, kind: MetricKind, description: str) -> None:
        self.name = name
        self.kind = kind
        self.description = description
        self.values: list[Any] = []
        self.times: list[float] = []
        self.steps: list[int | None] | None = None
        self.base_limit = RUN_POINTS
        self.limit = _stride(RUN_POINTS)

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


def _stride(budget: int) -> int:
    """How many points logging appends between two looks at a buffer of ``budget`` points."""
    return max(budget // 16, 64)


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
        # Frames (log_metrics calls) waiting before logging stores them itself.
        self.base_frame_limit = RUN_POINTS
        self.frame_limit = _stride(RUN_POINTS)
        self.lock = (
            threading.Lock()
        )  # between settling frames and taking them, never on a fast path

    def add_series(self, series: SeriesBuffer) -> None:
        """Start buffering ``series``; the run's budget of points is shared among its series."""
        self.series[series.name] = series
        count = len(self.series)
        limit = max(SERIES_POINTS, RUN_POINTS // count)
        series.base_limit = limit
        series.limit = _stride(limit)
        if count & (count - 1) == 0:  # as the count doubles: amortised over new series
            for other in self.series.values():
                other.base_limit = min(other.base_limit, limit)
                other.limit = min(other.limit, _stride(limit))

    def frame_width(self, width: int) -> None:
        """Frames of ``width`` points are logged: keep the frames waiting within the budget."""
        limit = max(SERIES_POINTS, RUN_POINTS // max(width, 1))
        if limit < self.base_frame_limit:
            self.base_frame_limit = limit
            self.frame_limit = _stride(limit)

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
        logs: list[LogAppend] = []
        # Consecutive lines of one stream become one entry: one row per flush, not per line
        # (joined once, so that many lines cost linear time).
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
        self.frame_limit = _stride(self.base_frame_limit)
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
    buffer.limit = _stride(buffer.base_limit)
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
        # How many flushes failed on each part of ``_retry`` while the store was up.
        self._refusals: dict[int, int] = {}
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._last_heartbeat = time.monotonic()
        self._no_help_until = 0.0  # after a logging call failed to flush, when it may try again
        self._last_taken = time.monotonic()  # when a flush last took the buffers
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

    # backpressure -------------------------------------------------------------------------------

    def relieve(self, series: SeriesBuffer) -> None:
        """``series`` reached its limit: store the buffers now, in the logging thread, if they
        hold their budget or the writer took nothing for an interval (called by logging;
        ``take`` resets the limit)."""
        if len(series.values) >= series.base_limit or self._late():
            self._help()
        series.limit = len(series.values) + _stride(series.base_limit)

    def relieve_frames(self, buffers: RunBuffers) -> None:
        """The ``log_metrics`` frames of ``buffers`` reached their limit (see ``relieve``)."""
        if len(buffers.frames) >= buffers.base_frame_limit or self._late():
            self._help()
        buffers.frame_limit = len(buffers.frames) + _stride(buffers.base_frame_limit)

    def _late(self) -> bool:
        return time.monotonic() - self._last_taken >= self.interval

    def _help(self) -> bool:
        """Flush in the logging thread (it waits for a flush in progress first); whether it
        worked. After a failure the background writer retries alone for an interval."""
        if time.monotonic() < self._no_help_until:
            return False
        try:
            self.flush()
        except Exception as error:
            self._no_help_until = time.monotonic() + self.interval
            log.warning("runhistory will retry storing logged values: %s", error)
            return False
        return True

    # flushing -----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Store everything logged so far; raises if the store takes none of it (it is kept for
        the next flush). Parts it refuses while it takes others are reported (see
        ``_store_apart``), so one bad series never holds back the rest."""
        with self._flush_lock:
            batch = self._collect()
            if not batch:
                return
            try:
                problems = self.store.append(batch)
            except Exception as error:
                problems = self._store_apart(batch, error)
            else:
                self._refusals.clear()
            for problem in problems:
                log.error("runhistory could not store logged values: %s", problem)

    def _store_apart(self, batch: WriteBatch, error: Exception) -> list[str]:
        """Store ``batch`` part by part after the store failed on it whole.

        When no part is stored, every failure is a ``StoreError`` and the store does not take a
        heartbeat either (it is down), the batch is kept whole for the next flush and ``error``
        raised. Otherwise a part that fails
        is kept, with the later parts of its series (their order holds), and dropped with a
        problem once it failed ``REFUSED_ATTEMPTS`` times."""
        from runhistory.errors import StoreError

        kept: list[Part] = []
        blocked: set[tuple[str, ...]] = set()
        failures: dict[int, Exception] = {}
        stored_any = False
        for part in parts(batch):
            key = part_key(part)
            if key in blocked:
                kept.append(part)
                continue
            try:
                problems = self.store.append(as_batch([part]))
            except Exception as part_error:
                failures[id(part)] = part_error
                blocked.add(key)
                kept.append(part)
                continue
            stored_any = True
            for problem in problems:
                log.error("runhistory could not store logged values: %s", problem)
        unreachable = all(isinstance(e, StoreError) for e in failures.values())
        if not stored_any and unreachable and not self._answers(batch):
            self._retry = batch
            raise error
        problems = []
        retry: list[Part] = []
        refusals: dict[int, int] = {}
        for part in kept:
            failure = failures.get(id(part))
            count = self._refusals.get(id(part), 0) + (failure is not None)
            if failure is not None and count >= REFUSED_ATTEMPTS:
                problems.append(f"{describe(part)} could not be stored and were dropped: {failure}")
                continue
            refusals[id(part)] = count
            retry.append(part)
        self._retry = as_batch(retry)
        self._refusals = refusals
        return problems

    def _answers(self, batch: WriteBatch) -> bool:
        """Whether the store takes a heartbeat of the runs of ``batch``: then it is up, and what
        it failed on is in the points (a database wraps its refusal of a value, such as a number
        out of range, in the same ``StoreError`` as a lost connection)."""
        runs = [*{m.run_id: None for m in batch.metrics}, *{e.run_id: None for e in batch.logs}]
        try:
            self.store.append(WriteBatch(heartbeats=list(dict.fromkeys(runs))))
        except Exception:
            return False
        return True

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        _live_writers.discard(self)
        try:
            for _ in range(REFUSED_ATTEMPTS):
                self.flush()
                if not self._retry:  # else parts were refused: nothing later retries them
                    break
        except Exception as error:  # at exit nothing is left to raise to
            log.error("runhistory could not store the last logged values: %s", error)

    def _collect(self) -> WriteBatch:
        self._last_taken = time.monotonic()
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


# One entry of a batch: a metric append, a log append, or the batch's heartbeats.
Part = MetricAppend | LogAppend | list[str]


def parts(batch: WriteBatch) -> list[Part]:
    """The entries of ``batch`` in order, heartbeats as one."""
    found: list[Part] = [*batch.metrics, *batch.logs]
    if batch.heartbeats:
        found.append(batch.heartbeats)
    return found


def as_batch(found: Iterable[Part]) -> WriteBatch:
    batch = WriteBatch()
    for part in found:
        if isinstance(part, MetricAppend):
            batch.metrics.append(part)
        elif isinstance(part, LogAppend):
            batch.logs.append(part)
        else:
            batch.heartbeats.extend(part)
    return batch


def part_key(part: Part) -> tuple[str, ...]:
    """The series a part belongs to: its parts are stored in order or not at all."""
    if isinstance(part, MetricAppend):
        return ("metric", part.run_id, part.name)
    if isinstance(part, LogAppend):
        return ("log", part.run_id, part.stream)
    return ("heartbeats",)


def describe(part: Part) -> str:
    if isinstance(part, MetricAppend):
        return f"{len(part.values)} points of metric {part.name!r} of run {part.run_id!r}"
    if isinstance(part, LogAppend):
        return f"{len(part.text)} characters of log {part.stream!r} of run {part.run_id!r}"
    return f"the heartbeats of runs {part}"


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
