"""Write batches on the wire to a server, and the on-disk spool of batches it did not answer.

A batch is one request body carrying columns of points, numbered ``(client_id, seq)`` so that the
server stores a batch sent twice once. A batch larger than the server takes, or one the server
refuses, is sent as two halves (``split_batch``) numbered ``(piece_client(client_id, seq), 0)``
and ``(..., 1)``, and so on down: the halves of a batch are always the same, so a batch sent
again after an interruption, even by another process, stores each piece once.

>>> batch = WriteBatch(logs=[LogAppend("run", "log", 1.0, "ab"), LogAppend("run", "log", 2.0, "c")])
>>> [len(half.logs) for half in split_batch(batch)]
[1, 1]
>>> batch_from_body(batch_body("client", 7, batch))[2] == batch
True
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from runhistory.model import MetricKind
from runhistory.store.base import LogAppend, MetricAppend, WriteBatch

# Columns this long or longer go packed (see server.schemas.PackedColumn); shorter ones stay
# JSON arrays, readable in a request log.
PACK_FROM = 64


class BatchSpool:
    """Batches a server did not answer, one file each, to be sent later in order.

    A file is named ``<client id>-<seq>.json`` (seq zero-padded, so names sort in sending order)
    and holds the request body, which carries the same ``(client_id, seq)``: a file sent twice,
    even by two processes, is stored once. Files outlive the process that wrote them; the next
    client of the same server sends them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def add(self, client_id: str, seq: int, body: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{client_id}-{seq:020d}.json"
        partial = self.folder / f".{target.name}.partial"
        partial.write_bytes(body)
        os.replace(partial, target)  # a spooled file is whole or absent

    def pending(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(self.folder.glob("*.json"))

    def set_aside(self, client_id: str, seq: int, body: bytes) -> Path:
        """Keep a batch the server will never take in ``refused/``, out of the sending order."""
        target = self.folder / "refused" / f"{client_id}-{seq:020d}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.parent / f".{target.name}.partial"
        partial.write_bytes(body)
        os.replace(partial, target)
        return target


def default_spool_folder(url: str) -> Path:
    """The spool of the server at ``url`` in this user's cache folder."""
    name = hashlib.sha256(url.rstrip("/").encode()).hexdigest()[:16]
    try:
        cache = Path.home() / ".cache"
    except RuntimeError:  # no home folder (some service accounts)
        import tempfile

        cache = Path(tempfile.gettempdir())
    return cache / "runhistory" / "spool" / name


@dataclasses.dataclass
class SentBatch:
    """A batch sent (or being sent) under ``seq``; ``carried`` holds the ids of its metric and
    log entries (``batch`` keeps them alive), so that a batch passed again with them, or with
    some of them, does not number them twice."""

    batch: WriteBatch
    seq: int
    body: bytes
    carried: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.carried = frozenset(map(id, [*self.batch.metrics, *self.batch.logs]))

    def rest(self, batch: WriteBatch) -> WriteBatch:
        """The entries of ``batch`` this one did not carry."""
        return WriteBatch(
            [m for m in batch.metrics if id(m) not in self.carried],
            [e for e in batch.logs if id(e) not in self.carried],
            batch.heartbeats,
        )


def batch_body(client_id: str, seq: int, batch: WriteBatch) -> bytes:
    """The request body of ``batch``, numbered ``(client_id, seq)``."""
    # The timestamps and steps of log_metrics calls are one list shared by many metrics: it is
    # sent with the first of them, the others name that one ({"same_as": index}).
    first_with: dict[tuple[str, int], tuple[Any, int]] = {}

    def column(index: int, field: str, value: Any) -> Any:
        if value is None:
            return None
        found = first_with.get((field, id(value)))
        if found is not None:
            return {"same_as": found[1]}
        first_with[field, id(value)] = (value, index)
        return packed(value)

    document = {
        "client_id": client_id,
        "seq": seq,
        "metrics": [
            {
                "run_id": m.run_id,
                "name": m.name,
                "kind": MetricKind(m.kind).value,
                "description": m.description,
                "values": packed(m.values),
                "timestamps": column(index, "timestamps", m.timestamps),
                "steps": column(index, "steps", m.steps),
            }
            for index, m in enumerate(batch.metrics)
        ],
        "logs": [dataclasses.asdict(e) for e in batch.logs],
        "heartbeats": batch.heartbeats,
    }
    return json.dumps(document, separators=(",", ":"), default=_plain).encode()


def packed(column: Any) -> Any:
    """A long column of only floats or only (64-bit) ints as a packed column; else the list."""
    if not isinstance(column, list):  # a float64 column from log_metrics
        return {"dtype": "<f8", "base64": base64.b64encode(column.astype("<f8").tobytes()).decode()}
    if len(column) < PACK_FROM:
        return column
    types = set(map(type, column))
    if types != {float} and types != {int}:
        return column
    (first,) = types
    import numpy as np

    try:
        numbers = np.asarray(column, dtype="<f8" if first is float else "<i8")
    except OverflowError:
        return column
    return {"dtype": numbers.dtype.str, "base64": base64.b64encode(numbers.tobytes()).decode()}


def batch_from_body(body: bytes) -> tuple[str, int, WriteBatch]:
    """``(client_id, seq, batch)`` of a request body made by ``batch_body``: columns a body
    shares between metrics are one object again, so the batch encodes to the same body."""
    document = json.loads(body)
    metrics: list[MetricAppend] = []
    for entry in document["metrics"]:
        timestamps = _column(entry["timestamps"], metrics, "timestamps")
        steps = _column(entry["steps"], metrics, "steps")
        values = entry["values"]
        if isinstance(values, dict):
            values = _unpacked(values)
            if values.dtype.kind != "f":
                values = values.tolist()
        metrics.append(
            MetricAppend(
                entry["run_id"],
                entry["name"],
                MetricKind(entry["kind"]),
                entry["description"],
                values,
                timestamps,
                steps,
            )
        )
    logs = [LogAppend(**entry) for entry in document["logs"]]
    batch = WriteBatch(metrics, logs, list(document["heartbeats"]))
    return document["client_id"], document["seq"], batch


def _column(found: Any, metrics: list[MetricAppend], field: str) -> Any:
    if isinstance(found, dict) and "same_as" in found:
        return getattr(metrics[found["same_as"]], field)
    if isinstance(found, dict):
        column: list[Any] = _unpacked(found).tolist()
        return column
    return found


def _unpacked(column: dict[str, str]) -> Any:
    import numpy as np

    dtype = column["dtype"]
    return np.frombuffer(base64.b64decode(column["base64"]), dtype=dtype).astype(dtype[1:])


def split_batch(batch: WriteBatch, by_points: bool = True) -> tuple[WriteBatch, WriteBatch] | None:
    """``batch`` in two halves that, sent in order, store the same; None for a single point
    (or log character, or heartbeats alone), which cannot be split, and without ``by_points``
    for a single entry.

    Entries are halved first; a single metric is halved by its points, a single log by its text
    (consecutive texts of a stream read as one). Columns shared by metrics stay shared."""
    entries: list[Any] = [*batch.metrics, *batch.logs]
    if batch.heartbeats:
        if not entries:
            return None
        return WriteBatch(batch.metrics, batch.logs), WriteBatch(heartbeats=batch.heartbeats)
    if len(entries) > 1:
        middle = len(entries) // 2
        return _batch_of(entries[:middle]), _batch_of(entries[middle:])
    if not by_points:
        return None
    if batch.metrics:
        (metric,) = batch.metrics
        middle = len(metric.values) // 2
        if middle == 0:
            return None
        return (
            WriteBatch([_points(metric, slice(None, middle))]),
            WriteBatch([_points(metric, slice(middle, None))]),
        )
    (log,) = batch.logs
    middle = len(log.text) // 2
    if middle == 0:
        return None
    first = dataclasses.replace(log, text=log.text[:middle])
    return WriteBatch(logs=[first]), WriteBatch(
        logs=[dataclasses.replace(log, text=log.text[middle:])]
    )


def _batch_of(entries: list[Any]) -> WriteBatch:
    return WriteBatch(
        [e for e in entries if isinstance(e, MetricAppend)],
        [e for e in entries if isinstance(e, LogAppend)],
    )


def _points(metric: MetricAppend, part: slice) -> MetricAppend:
    steps = None if metric.steps is None else metric.steps[part]
    return dataclasses.replace(
        metric, values=metric.values[part], timestamps=metric.timestamps[part], steps=steps
    )


def piece_client(client_id: str, seq: int) -> str:
    """The client id numbering the halves of batch ``(client_id, seq)`` (32 characters)."""
    return hashlib.sha256(f"{client_id}/{seq}".encode()).hexdigest()[:32]


def describe_batch(batch: WriteBatch) -> str:
    """What ``batch`` holds, for a message: its metrics and logs by name."""
    parts = [
        f"{len(m.values)} points of metric {m.name!r} of run {m.run_id!r}" for m in batch.metrics
    ]
    parts += [
        f"{len(e.text)} characters of log {e.stream!r} of run {e.run_id!r}" for e in batch.logs
    ]
    if batch.heartbeats:
        parts.append("heartbeats")
    return ", ".join(parts)


def _plain(value: Any) -> Any:
    """JSON for the numpy scalars and arrays a user may log."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be sent to a runhistory server")
