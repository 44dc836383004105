"""Appending metric points as chunks, and reading them back.

The store keeps, per metric it has written in this process, the last chunk when it is not full
(the *tail*): the next flush merges into it and rewrites that one row, so a metric logged once a
second still ends up in full chunks. Cached state is checked against the metric's row inside each
transaction, so another process writing the same metric only costs a re-read, never a lost chunk.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from runhistory.model import INT64_MAX, MetricKind
from runhistory.store.base import MetricAppend, MetricData, WriteBatch
from runhistory.store.chunk_format import CHUNK_POINTS, Points, encode_small_chunk
from runhistory.store.sql.database import Cursor, Database
from runhistory.store.sql.liveness import revive
from runhistory.store.summaries import entries_of, patch_summaries

if TYPE_CHECKING:
    import numpy.typing as npt

_CHARTED = (MetricKind.SCALAR, MetricKind.LIST)  # kinds whose chunks get an overview
# A first flush of at most this many points per metric is encoded without numpy, so short
# processes never import it; larger batches and merges use the numpy codec.
SMALL_BATCH = 256
# Metric names looked up per query (well under every database's limit of bound parameters).
NAMES_PER_QUERY = 500


@dataclasses.dataclass
class _MetricState:
    kind: MetricKind
    count: int
    last_step: int | None
    chunk_count: int
    columns: list[str] | None
    tail: Points | None = None


class MetricWriter:
    """Turns write batches into chunk rows, metric rows and run summaries (one transaction)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._states: dict[tuple[str, str], _MetricState] = {}
        self._lock = threading.Lock()

    def append(self, batch: WriteBatch) -> list[str]:
        with self._lock:
            problems: list[str] = []
            new_states: dict[tuple[str, str], _MetricState] = {}

            def work(cursor: Cursor) -> None:
                problems.clear()
                new_states.clear()
                now = time.time()
                by_run: dict[str, list[MetricAppend]] = {}
                for item in batch.metrics:
                    by_run.setdefault(item.run_id, []).append(item)
                for run_id, appends in by_run.items():
                    self._append_run(cursor, run_id, appends, now, new_states, problems)
                if batch.logs:
                    cursor.executemany(
                        "INSERT INTO log_entries (run_id, stream, created, text) VALUES (?, ?, ?, ?)",
                        [(e.run_id, e.stream, e.created, e.text) for e in batch.logs],
                    )
                beating = [r for r in dict.fromkeys(batch.heartbeats) if r not in by_run]
                if beating:
                    cursor.executemany(
                        "UPDATE runs SET heartbeat = ? WHERE id = ?", [(now, r) for r in beating]
                    )
                revive(cursor, [*by_run, *beating])

            self.db.write(work)
            self._states.update(new_states)
            return problems

    def _append_run(
        self,
        cursor: Cursor,
        run_id: str,
        appends: list[MetricAppend],
        now: float,
        new_states: dict[tuple[str, str], _MetricState],
        problems: list[str],
    ) -> None:
        row = cursor.execute(
            "SELECT metrics_summary FROM runs WHERE id = ?" + self.db.for_update, (run_id,)
        ).fetchone()
        if row is None:
            problems.append(f"run {run_id!r} no longer exists; {len(appends)} metrics were dropped")
            return
        # Only the metrics in the batch are read and rewritten: a run with 10,000 metrics costs
        # a one-metric batch what a run with one metric does (apart from copying packed bytes).
        merged = _merge_same_metric(appends)
        names = [item.name for item in merged]
        summary = entries_of(row[0], names)
        stored = _stored_metrics(cursor, run_id, names)
        changed: dict[str, list[Any]] = {}
        shared = _Shared()
        for item in merged:
            key = (run_id, item.name)
            state = self._state(key, item.kind, stored.get(item.name))
            if state is None:
                problems.append(
                    f"metric {item.name!r} of run {run_id!r} is a {stored[item.name][1]} metric; "
                    f"{len(item.values)} {item.kind} values were not stored"
                )
                continue
            points = _points(item, state, shared)
            if item.kind.is_columnar:
                state.columns = _columns(state.columns or [], item.values)
            stored_chunks = state.chunk_count
            chunk_rows = _chunk_rows(run_id, item.name, state, points, shared)
            cursor.execute(
                "INSERT INTO metrics (run_id, name, kind, description, columns, count, last_step, chunk_count) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name) DO UPDATE SET "
                "count = excluded.count, last_step = excluded.last_step, "
                "chunk_count = excluded.chunk_count, columns = excluded.columns",
                (
                    run_id,
                    item.name,
                    item.kind.value,
                    item.description,
                    None if state.columns is None else json.dumps(state.columns),
                    state.count,
                    state.last_step,
                    state.chunk_count,
                ),
            )
            cursor.executemany(
                "INSERT INTO metric_chunks (run_id, name, seq, count, first_step, last_step, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name, seq) DO UPDATE SET "
                "count = excluded.count, first_step = excluded.first_step, "
                "last_step = excluded.last_step, data = excluded.data",
                [row[:7] for row in chunk_rows],
            )
            overviews = [(*row[:3], row[7]) for row in chunk_rows if row[7] is not None]
            if overviews:
                cursor.executemany(
                    "INSERT INTO metric_overviews (run_id, name, seq, data) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (run_id, name, seq) DO UPDATE SET data = excluded.data",
                    overviews,
                )
            stale = [row[:3] for row in chunk_rows if row[7] is None and row[2] < stored_chunks]
            if stale:  # a rewritten chunk that has no overview any more
                cursor.executemany(
                    "DELETE FROM metric_overviews WHERE run_id = ? AND name = ? AND seq = ?", stale
                )
            changed[item.name] = _summarise(summary.get(item.name), item.kind, points, state)
            new_states[key] = state
        cursor.execute(
            "UPDATE runs SET metrics_summary = ?, heartbeat = ? WHERE id = ?",
            (patch_summaries(row[0], changed) if changed else row[0], now, run_id),
        )

    def _state(self, key: tuple[str, str], kind: MetricKind, stored: Any) -> _MetricState | None:
        cached = self._states.get(key)
        if stored is None:
            return _MetricState(kind, 0, None, 0, None)
        if stored[1] != kind.value:
            return None
        if cached is not None and cached.count == stored[2] and cached.chunk_count == stored[4]:
            return dataclasses.replace(cached)
        columns = json.loads(stored[5]) if stored[5] else None
        return _MetricState(kind, stored[2], stored[3], stored[4], columns)


def _stored_metrics(cursor: Cursor, run_id: str, names: list[str]) -> dict[str, Any]:
    """The metric rows of ``names`` in ``run_id`` (the others are not read)."""
    stored = {}
    for start in range(0, len(names), NAMES_PER_QUERY):
        part = names[start : start + NAMES_PER_QUERY]
        for found in cursor.execute(
            "SELECT name, kind, count, last_step, chunk_count, columns FROM metrics "
            f"WHERE run_id = ? AND name IN ({', '.join('?' * len(part))})",
            (run_id, *part),
        ).fetchall():
            stored[found[0]] = found
    return stored


def _chunk_rows(
    run_id: str, name: str, state: _MetricState, points: Points, shared: _Shared
) -> list[tuple[Any, ...]]:
    """Rows of metric_chunks that store ``points``, merged into the cached tail chunk when there
    is one; updates ``state`` (chunk count, new tail)."""
    first_seq = state.chunk_count
    if state.tail is None and isinstance(points.steps, list):
        blob = encode_small_chunk(points.steps, points.timestamps_us, points.values)  # type: ignore[arg-type]
        state.chunk_count = first_seq + 1
        state.tail = points
        return [
            (run_id, name, first_seq, len(points), points.steps[0], points.steps[-1], blob, None)
        ]
    from runhistory.store.chunks import encode_chunk, encode_index, typed_values
    from runhistory.store.overview import encode_overview, steps_go_up

    if state.tail is not None and len(state.tail) < CHUNK_POINTS:
        points = _concat(state.tail, points, shared)
        first_seq -= 1
    rows = []
    tail = None
    for start in range(0, len(points), CHUNK_POINTS):
        piece = _slice(points, start, start + CHUNK_POINTS, shared)
        index = shared.get(
            "index", (piece.steps, piece.timestamps_us), lambda s, t: encode_index(s, t)
        )
        values = piece.values if not isinstance(piece.values, list) else typed_values(piece.values)
        overview = None
        if state.kind in _CHARTED and shared.get("go up", (piece.steps,), steps_go_up):
            overview = encode_overview(piece.steps, piece.timestamps_us, values)  # type: ignore[arg-type]
        rows.append(
            (
                run_id,
                name,
                first_seq + start // CHUNK_POINTS,
                len(piece),
                int(piece.steps[0]),
                int(piece.steps[-1]),
                encode_chunk(piece.steps, piece.timestamps_us, values, index),
                overview,
            )
        )
        tail = piece if len(piece) < CHUNK_POINTS else None
    state.chunk_count = first_seq + len(rows)
    state.tail = tail
    return rows


def _merge_same_metric(appends: list[MetricAppend]) -> list[MetricAppend]:
    """One append per metric, in order (a retried batch may hold several for one name)."""
    merged: dict[str, MetricAppend] = {}
    for item in appends:
        if len(item.values) == 0:
            continue
        previous = merged.get(item.name)
        if previous is None:
            merged[item.name] = dataclasses.replace(item)
            continue
        if previous.steps is None and item.steps is None:
            steps = None
        else:
            steps = [
                *(previous.steps or [None] * len(previous.values)),
                *(item.steps or [None] * len(item.values)),
            ]
        merged[item.name] = dataclasses.replace(
            previous,
            values=_as_list(previous.values) + _as_list(item.values),
            timestamps=previous.timestamps + item.timestamps,
            steps=steps,
        )
    return list(merged.values())


class _Shared:
    """Columns that many metrics of one batch share (the steps and timestamps of ``log_metrics``
    calls), converted, sliced, joined and encoded once: results are keyed by the identity of
    their sources, which are kept alive until the batch is stored so that no identity is reused.
    """

    def __init__(self) -> None:
        self._results: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}

    def get(self, operation: Any, sources: tuple[Any, ...], make: Callable[..., Any]) -> Any:
        key = (operation, *map(id, sources))
        found = self._results.get(key)
        if found is None:
            found = self._results[key] = (sources, make(*sources))
        return found[1]


def _points(item: MetricAppend, state: _MetricState, shared: _Shared) -> Points:
    """Resolve steps (a value without one takes the previous step + 1) and type the columns."""
    count = len(item.values)
    next_step = 0 if state.last_step is None else state.last_step + 1
    state.count += count
    if count <= SMALL_BATCH and state.tail is None:
        steps = _resolve_steps(item.steps, next_step, count)
        state.last_step = steps[-1]
        return Points(steps, [round(t * 1e6) for t in item.timestamps], _as_list(item.values))
    import numpy as np

    from runhistory.store.chunks import typed_values

    if item.steps is None and next_step + count <= INT64_MAX:
        step_array = shared.get(
            ("arange", next_step, count),
            (),
            lambda: np.arange(next_step, next_step + count, dtype=np.int64),
        )
    elif item.steps is not None and shared.get(
        "complete", (item.steps,), lambda steps: None not in steps
    ):
        step_array = shared.get("steps", (item.steps,), lambda s: np.array(s, dtype=np.int64))
    else:
        step_array = np.array(_resolve_steps(item.steps, next_step, count), dtype=np.int64)
    timestamps = shared.get(
        "times",
        (item.timestamps,),
        lambda times: np.rint(np.asarray(times, dtype=np.float64) * 1e6).astype(np.int64),
    )
    if isinstance(item.values, list):
        values = list(item.values) if item.kind.is_columnar else typed_values(item.values)
    else:
        values = item.values  # a float64 column already
    state.last_step = int(step_array[-1])
    return Points(step_array, timestamps, values)


def _as_list(values: Any) -> list[Any]:
    return values if isinstance(values, list) else list(values.tolist())


def _resolve_steps(steps: list[int | None] | None, next_step: int, count: int) -> list[int]:
    """Steps of points: a point without one takes the previous step + 1, which stays at the
    largest int64 once a point was logged there (steps are int64 in every store)."""
    if steps is None and next_step + count <= INT64_MAX:
        return list(range(next_step, next_step + count))
    resolved = []
    for step in steps or [None] * count:
        next_step = next_step if step is None else step
        resolved.append(min(next_step, INT64_MAX))
        next_step += 1
    return resolved


def _columns(known: list[str], rows: Iterable[dict[str, Any]]) -> list[str]:
    columns = dict.fromkeys(known)
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def _concat(first: Points, second: Points, shared: _Shared) -> Points:
    import numpy as np

    from runhistory.store.chunks import concat_values

    def join(a: Any, b: Any) -> Any:
        return np.concatenate([a, b])

    return Points(
        shared.get("join", (first.steps, second.steps), join),
        shared.get("join", (first.timestamps_us, second.timestamps_us), join),
        concat_values(first.values, second.values),
    )


def _slice(points: Points, start: int, stop: int, shared: _Shared) -> Points:
    def cut(column: Any) -> Any:
        return column[start:stop]

    return Points(
        shared.get(("slice", start, stop), (points.steps,), cut),
        shared.get(("slice", start, stop), (points.timestamps_us,), cut),
        points.values[start:stop],
    )


def _summarise(
    previous: list[Any] | None, kind: MetricKind, points: Points, state: _MetricState
) -> list[Any]:
    """[kind, count, last_step, last value, min, max] after appending ``points``."""
    values = points.values
    last = values[-1] if isinstance(values, list) else values[-1].item()
    low, high = _numeric_range(values)
    if previous is not None:
        low = _pick(min, previous[4], low)
        high = _pick(max, previous[5], high)
    return [kind.value, state.count, state.last_step, last, low, high]


def _pick(choose: Any, a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return float(choose(a, b))


def _numeric_range(values: npt.NDArray[Any] | list[Any]) -> tuple[float | None, float | None]:
    if not isinstance(values, list):
        import numpy as np

        array = values
        if array.dtype == np.bool_ or array.size == 0:
            return None, None
        if array.dtype.kind == "f":
            array = array[~np.isnan(array)]
            if array.size == 0:
                return None, None
        return float(array.min()), float(array.max())
    numbers = [
        v
        for v in values
        if type(v) in (int, float) and not (isinstance(v, float) and math.isnan(v))
    ]
    if not numbers:
        return None, None
    return float(min(numbers)), float(max(numbers))


def read_metric_kinds(cursor: Cursor, run_id: str) -> dict[str, MetricKind]:
    rows = cursor.execute("SELECT name, kind FROM metrics WHERE run_id = ?", (run_id,)).fetchall()
    return {name: MetricKind(kind) for name, kind in rows}


def read_metrics(cursor: Cursor, run_id: str, names: Sequence[str] | None) -> list[MetricData]:
    import numpy as np

    from runhistory.store.chunks import concat_points, decode_chunk

    where, params = "run_id = ?", [run_id]
    if names is not None:
        if not names:
            return []
        where += f" AND name IN ({', '.join('?' * len(names))})"
        params.extend(names)
    metas = cursor.execute(
        f"SELECT name, kind, description, columns FROM metrics WHERE {where} ORDER BY name", params
    ).fetchall()
    chunks: dict[str, list[Points]] = {}
    for name, data in cursor.execute(
        f"SELECT name, data FROM metric_chunks WHERE {where} ORDER BY name, seq", params
    ).fetchall():
        chunks.setdefault(name, []).append(decode_chunk(data))
    result = []
    for name, kind, description, columns in metas:
        points = concat_points(chunks.get(name, []))
        result.append(
            MetricData(
                name=name,
                kind=MetricKind(kind),
                description=description,
                columns=json.loads(columns) if columns else None,
                steps=np.asarray(points.steps),
                timestamps=np.asarray(points.timestamps_us) / 1e6,
                values=points.values,
            )
        )
    return result
