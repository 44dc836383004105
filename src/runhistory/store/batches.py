"""Write batches on the wire to a server, and the on-disk spool of batches it did not answer.

A batch is one request body carrying columns of points, numbered ``(client_id, seq)`` so that the
server stores a batch sent twice once.
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
from runhistory.store.base import WriteBatch

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
    """A batch sent (or being sent) under ``seq``; ``counts`` are how many metric, log and
    heartbeat entries of ``batch`` it carried when it was numbered."""

    batch: WriteBatch
    seq: int
    body: bytes
    counts: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        self.counts = (len(self.batch.metrics), len(self.batch.logs), len(self.batch.heartbeats))


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


def _plain(value: Any) -> Any:
    """JSON for the numpy scalars and arrays a user may log."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} cannot be sent to a runhistory server")
