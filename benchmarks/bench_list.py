"""Listing runs with their metric summaries, as a run table does.

Setup (timed and printed, not part of the result): an experiment of completed runs, each with
``METRICS`` scalar metrics of one point, made through the SDK (``start_logging``, ``log``,
``complete``), or with ``--setup store`` through the store calls the SDK makes, in batches.
Baseline: ``SELECT * FROM runs`` with the stdlib ``sqlite3`` module, all rows fetched.

    python benchmarks/bench_list.py [--repeat N] [--quick] [--setup sdk|store]
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from _common import (
    Row,
    elapsed,
    median_seconds,
    parse_args,
    print_table,
    temporary_workspace,
)

from runhistory import Experiment, RunStatus, Workspace
from runhistory.model import MetricKind
from runhistory.store.base import MetricAppend, RunQuery, WriteBatch

LIST_TARGET_S = 0.2
METRICS = 20
STORE_BATCH = 100
NAMES = [f"metric_{j:02d}" for j in range(METRICS)]


def create_runs_with_sdk(experiment: Experiment, count: int) -> None:
    for i in range(count):
        run = experiment.start_logging(snapshot_directory=None, outputs=None)
        for j, name in enumerate(NAMES):
            run.log(name, i + j / METRICS)
        run.complete()


def create_runs_with_store(workspace: Workspace, experiment: Experiment, count: int) -> None:
    store = workspace.store
    for first in range(0, count, STORE_BATCH):
        run_ids = [
            store.create_run(
                experiment.id, status=RunStatus.RUNNING, run_type="interactive", started=time.time()
            ).id
            for _ in range(first, min(first + STORE_BATCH, count))
        ]
        now = time.time()
        store.append(
            WriteBatch(
                metrics=[
                    MetricAppend(
                        run_id, name, MetricKind.SCALAR, "", [first + i + j / METRICS], [now]
                    )
                    for i, run_id in enumerate(run_ids)
                    for j, name in enumerate(NAMES)
                ]
            )
        )
        for run_id in run_ids:
            store.set_status(run_id, RunStatus.COMPLETED, ended=time.time())


def table_values(workspace: Workspace, experiment_id: str) -> int:
    """List the runs and read every metric's last value as a run table does (one column view
    per run, no object per metric)."""
    runs = workspace.store.list_runs(RunQuery(experiment_id=experiment_id))
    return sum(len(run.metrics.last_values()) for run in runs)  # type: ignore[attr-defined]


def touch_summaries(workspace: Workspace, experiment_id: str) -> int:
    """List the runs and build every summary object (kind, count, last, min, max)."""
    runs = workspace.store.list_runs(RunQuery(experiment_id=experiment_id))
    return sum(1 for run in runs for summary in run.metrics.values() if summary.last is not None)


def fetch_raw(database: Path) -> int:
    connection = sqlite3.connect(database)
    try:
        return len(connection.execute("SELECT * FROM runs").fetchall())
    finally:
        connection.close()


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda parser: parser.add_argument(
            "--setup",
            choices=["sdk", "store"],
            default="sdk",
            help="create the runs through the SDK (default) or in batches through the store",
        ),
    )
    setup = args.setup
    runs = 1_000 if args.quick else 10_000

    with temporary_workspace() as workspace:
        experiment = Experiment(workspace, "bench-list")
        start = time.perf_counter()
        if setup == "sdk":
            create_runs_with_sdk(experiment, runs)
        else:
            create_runs_with_store(workspace, experiment, runs)
        setup_seconds = time.perf_counter() - start

        found = touch_summaries(workspace, experiment.id)
        if found != runs * METRICS:
            raise SystemExit(f"listed {found:,} metric summaries, expected {runs * METRICS:,}")
        if table_values(workspace, experiment.id) != runs * METRICS:
            raise SystemExit("the column view lost metric values")
        listing = median_seconds(
            lambda: elapsed(lambda: table_values(workspace, experiment.id)), args.repeat
        )
        objects = median_seconds(
            lambda: elapsed(lambda: touch_summaries(workspace, experiment.id)), args.repeat
        )
        database = Path(workspace.location) / "runhistory.db"
        raw = median_seconds(lambda: elapsed(lambda: fetch_raw(database)), args.repeat)

    print_table(
        f"Listing {runs:,} runs with {METRICS} metric summaries each (median of {args.repeat})",
        [
            Row(
                "list_runs + every run's metrics.last_values()",
                listing,
                "s",
                LIST_TARGET_S,
                "sqlite3 SELECT * FROM runs",
                raw,
            ),
            Row(
                "list_runs + a MetricSummary object per metric",
                objects,
                "s",
                None,
                "sqlite3 SELECT * FROM runs",
                raw,
            ),
            Row(f"setup: {runs:,} runs through the {setup}, once", setup_seconds, "s"),
        ],
        ["baseline: stdlib sqlite3, fetchall() of every row of the runs table, no decoding"],
    )


if __name__ == "__main__":
    main()
