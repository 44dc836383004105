"""A run with many metrics: a small write must cost what it touches, not the run's size.

- A one-point batch (one metric, one value, what a script logging one metric a second sends) on
  a run that already has 10,000 metrics, stored through the embedded store and through a
  ``runhistory server`` over SQLite (``Workspace("http://...")``, one ``POST /batches``).
- Baseline: the same batch on a run with 10 metrics, in the same store, in the same process.

    python benchmarks/bench_wide_runs.py [--repeat N] [--quick]
"""

from __future__ import annotations

import statistics
import time

from _common import Row, parse_args, print_table, temporary_folder
from bench_server import Server

from runhistory import Experiment, Workspace
from runhistory.model import MetricKind
from runhistory.store.base import MetricAppend, Store, WriteBatch

WIDE = 10_000
NARROW = 10
RATIO_TARGET = 3.0  # the wide run's batch may cost at most this many times the narrow one's
BATCHES = 50  # one-point batches per repetition; their median is one sample


def run_with_metrics(workspace: Workspace, count: int) -> str:
    run = Experiment(workspace, "bench-wide").start_logging(snapshot_directory=None, outputs=None)
    run.log_metrics({f"metric_{i:05d}": float(i) for i in range(count)})
    run.flush()
    return run.id


def one_point_batch_seconds(store: Store, run_id: str) -> float:
    """The median time of ``BATCHES`` one-point batches into metric_00001 of ``run_id``."""
    samples = []
    for _ in range(BATCHES):
        batch = WriteBatch(
            metrics=[
                MetricAppend(run_id, "metric_00001", MetricKind.SCALAR, "", [0.5], [time.time()])
            ]
        )
        start = time.perf_counter()
        store.append(batch)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(workspace: Workspace, repeat: int) -> tuple[float, float]:
    narrow = run_with_metrics(workspace, NARROW)
    wide = run_with_metrics(workspace, WIDE)
    narrow_s = statistics.median(
        one_point_batch_seconds(workspace.store, narrow) for _ in range(repeat)
    )
    wide_s = statistics.median(
        one_point_batch_seconds(workspace.store, wide) for _ in range(repeat)
    )
    return narrow_s, wide_s


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with temporary_folder() as folder:
        embedded = Workspace(folder / "embedded")
        embedded_narrow, embedded_wide = measure(embedded, args.repeat)
        embedded.close()
        server = Server(folder)
        try:
            remote = Workspace(server.url)
            remote_narrow, remote_wide = measure(remote, args.repeat)
            remote.close()
        finally:
            server.stop()

    rows = []
    for where, narrow, wide in (
        ("embedded", embedded_narrow, embedded_wide),
        ("server", remote_narrow, remote_wide),
    ):
        rows.append(
            Row(
                f"1-point batch, run with {WIDE:,} metrics ({where})",
                wide,
                "s",
                RATIO_TARGET * narrow,
                f"same, run with {NARROW} metrics",
                narrow,
            )
        )
    print_table(
        f"A one-point batch on a wide run (median of {args.repeat} x {BATCHES} batches)",
        rows,
        [f"target: at most {RATIO_TARGET:g}x the batch on a run with {NARROW} metrics"],
    )


if __name__ == "__main__":
    main()
