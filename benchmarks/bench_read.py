"""Reading a long series back, and what it costs on disk.

One run holds one scalar series (float values, steps 0, 1, 2, ...). The reads go through a second
``Workspace`` object opened on the same folder, as a later process would. Baseline: ``numpy.load``
of the same steps and values saved with ``numpy.save`` as one structured .npy (int64 step,
float64 value), the floor for reading raw arrays.

    python benchmarks/bench_read.py [--repeat N] [--quick]
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
from _common import (
    Row,
    elapsed,
    loss_curve,
    median_seconds,
    parse_args,
    print_table,
    temporary_folder,
)

from runhistory import Experiment, Run, Workspace

HISTORY_TARGET_S = 0.1
GET_METRICS_TARGET_S = 0.5
BYTES_TARGET = 12.0
RAW_BYTES = 16.0  # int64 step + float64 value
DATABASE_FILE = "runhistory.db"


def database_bytes(folder: Path) -> int:
    """Size of the workspace's SQLite files after folding the write-ahead log into the database."""
    database = folder / DATABASE_FILE
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return sum(
        path.stat().st_size for path in (database, folder / f"{DATABASE_FILE}-wal") if path.exists()
    )


def write_run(folder: Path, values: list[float]) -> str:
    """A completed run in a new workspace at ``folder`` holding ``values`` as metric "loss"."""
    workspace = Workspace(folder)
    try:
        run = Experiment(workspace, "bench-read").start_logging(
            snapshot_directory=None, outputs=None
        )
        for value in values:
            run.log("loss", value)
        run.complete()
        return run.id
    finally:
        workspace.close()


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    points = 100_000 if args.quick else 1_000_000
    values = loss_curve(points)

    with temporary_folder() as scratch:
        empty_folder = scratch / "empty"
        write_run(empty_folder, [])
        empty_bytes = database_bytes(empty_folder)

        folder = scratch / "workspace"
        run_id = write_run(folder, values)
        stored_bytes = database_bytes(folder) - empty_bytes

        raw = np.empty(points, dtype=[("step", "<i8"), ("value", "<f8")])
        raw["step"] = np.arange(points)
        raw["value"] = values
        npy_path = scratch / "series.npy"
        np.save(npy_path, raw)
        npy_bytes = npy_path.stat().st_size
        load_seconds = median_seconds(lambda: elapsed(lambda: np.load(npy_path)), args.repeat)

        workspace = Workspace(folder)
        try:
            run = Run.get(workspace, run_id)
            history = run.get_metric_history("loss")
            if not np.array_equal(history.values, raw["value"]) or not np.array_equal(
                history.steps, raw["step"]
            ):
                raise SystemExit(f"the {points:,} points read back differ from those logged")
            history_seconds = median_seconds(
                lambda: elapsed(lambda: run.get_metric_history("loss")), args.repeat
            )
            metrics_seconds = median_seconds(lambda: elapsed(run.get_metrics), args.repeat)
        finally:
            workspace.close()

    baseline = "numpy.load(.npy)"
    print_table(
        f"Reading one series of {points:,} points (median of {args.repeat})",
        [
            Row(
                "get_metric_history(name)",
                history_seconds,
                "s",
                HISTORY_TARGET_S,
                baseline,
                load_seconds,
            ),
            Row(
                "get_metrics()", metrics_seconds, "s", GET_METRICS_TARGET_S, baseline, load_seconds
            ),
            Row(
                "disk: database + WAL after checkpoint, minus an empty workspace",
                stored_bytes / points,
                "bytes/point",
                BYTES_TARGET,
                "raw int64 + float64",
                RAW_BYTES,
            ),
            Row("disk: the .npy baseline file", npy_bytes / points, "bytes/point"),
        ],
        [
            "baseline: numpy.load of one .npy holding the same (int64 step, float64 value) pairs",
            "values are a noisy decaying loss in full float64 precision; timestamps are stored too",
            f"the empty workspace (one experiment, one run without metrics) is {empty_bytes:,} bytes",
        ],
    )


if __name__ == "__main__":
    main()
