"""The team server: ingest from many clients, listing runs, and chart queries, over HTTP.

A ``runhistory server`` process over a SQLite file serves every case; clients reach it through
the SDK (``Workspace("http://...")``) or plain HTTP requests (``httpx``), on the same machine.

- Ingest: ``CLIENTS`` client processes start together (each has already imported runhistory and
  started its run), each logs ``log_metrics`` of 100 metrics per step, then ``flush()``: points
  per second from the start signal until the last client's points are stored. Baseline: the same
  clients logging into one embedded workspace, no server.
- Listing: ``POST /api/v1/runs/search`` (``"format": "table"``, what the Python client asks for)
  of an experiment of 10,000 runs with 20 metric summaries each, the response read and parsed;
  also the whole SDK path (``list_runs`` through a remote workspace, then every run's last
  metric values, as a run table does). Baseline: that listing from the store in-process.
- Chart: ``GET /api/v1/runs/{id}/chart`` of a 10,000,000-point series in 2,000 buckets.
  Baseline: numpy's min/max per bucket over the same values already in memory.

    python benchmarks/bench_server.py [--repeat N] [--quick]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import httpx
import numpy as np
from _common import Row, elapsed, median_seconds, parse_args, print_table, temporary_folder
from bench_list import METRICS, create_runs_with_store, table_values

from runhistory import Experiment, Workspace
from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import MetricAppend, RunQuery, WriteBatch
from runhistory.store.rest import load_json

INGEST_TARGET = 1_000_000  # points per second, all clients together
LIST_TARGET_S = 0.2
CHART_TARGET_S = 0.2
CLIENTS = 8
METRICS_PER_STEP = 100
CHART_BUCKETS = 2_000

CLIENT = textwrap.dedent(
    """
    import sys, time
    from runhistory import Experiment, Workspace

    location, steps, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    workspace = Workspace(location)
    run = Experiment(workspace, "bench-ingest").start_logging(snapshot_directory=None)
    names = [f"metric_{j:03d}" for j in range(width)]
    rows = [[step + j / width for j in range(width)] for step in range(steps)]
    print("ready", flush=True)
    sys.stdin.readline()
    for step, row in enumerate(rows):
        run.log_metrics(dict(zip(names, row)), step=step)
    run.flush()
    print("done", flush=True)
    run.complete()
    """
)


class Server:
    """``runhistory server`` on a free port over a SQLite file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = folder / "server.db"
        self.log = open(folder / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "runhistory.cli", "server",
                "--store", f"sqlite:///{self.database}",
                "--artifacts", str(folder / "artifacts"),
                "--port", str(self.port),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit(f"the server exited; see {folder / 'server.log'}") from None
                time.sleep(0.05)
        raise SystemExit("the server did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def ingest_seconds(location: str, steps: int) -> float:
    """Seconds from the start signal until every client has flushed its points."""
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, location, str(steps), str(METRICS_PER_STEP)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(CLIENTS)
    ]
    try:
        for client in clients:
            assert client.stdout is not None
            if client.stdout.readline().strip() != "ready":
                raise SystemExit("an ingest client failed to start")
        start = time.perf_counter()
        for client in clients:
            assert client.stdin is not None
            client.stdin.write("go\n")
            client.stdin.flush()
        for client in clients:
            assert client.stdout is not None
            if client.stdout.readline().strip() != "done":
                raise SystemExit("an ingest client failed")
        seconds = time.perf_counter() - start
        for client in clients:
            if client.wait(timeout=60) != 0:
                raise SystemExit("an ingest client failed")
        return seconds
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()


def stored_points(workspace: Workspace) -> int:
    experiment = Experiment(workspace, "bench-ingest")
    runs = workspace.store.list_runs(RunQuery(experiment_id=experiment.id))
    return sum(summary.count for run in runs for summary in run.metrics.values())


def long_series(workspace: Workspace, points: int) -> tuple[str, np.ndarray]:
    """A run with one scalar metric of ``points`` points, stored in batches of a million."""
    run = Experiment(workspace, "bench-chart").start_logging(snapshot_directory=None)
    values = np.random.default_rng(0).normal(size=points).cumsum()
    for part in np.array_split(values, max(points // 1_000_000, 1)):
        workspace.store.append(
            WriteBatch(
                [
                    MetricAppend(
                        run.id, "loss", MetricKind.SCALAR, "", part, [time.time()] * len(part)
                    )
                ]
            )
        )
    workspace.store.set_status(run.id, RunStatus.COMPLETED, ended=time.time())
    return run.id, values


def numpy_buckets(values: np.ndarray) -> None:
    edges = np.linspace(0, len(values), CHART_BUCKETS + 1).astype(np.int64)[:-1]
    np.fmin.reduceat(values, edges)
    np.fmax.reduceat(values, edges)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    steps = 500 if args.quick else 5_000  # per client, of METRICS_PER_STEP points
    runs = 1_000 if args.quick else 10_000
    chart_points = 1_000_000 if args.quick else 10_000_000
    points = CLIENTS * steps * METRICS_PER_STEP

    with temporary_folder() as folder:
        # Data for listing and charts, written straight into the server's database first.
        seed = Workspace(folder / "seed")
        experiment = Experiment(seed, "bench-list")
        create_runs_with_store(seed, experiment, runs)
        chart_run, values = long_series(seed, chart_points)
        in_process_listing = median_seconds(
            lambda: elapsed(lambda: table_values(seed, experiment.id)), args.repeat
        )
        seed.close()
        os.replace(folder / "seed" / "runhistory.db", folder / "server.db")
        for suffix in ("-wal", "-shm"):
            Path(folder / "seed" / f"runhistory.db{suffix}").unlink(missing_ok=True)

        server = Server(folder)
        try:
            remote = Workspace(server.url)
            if table_values(remote, experiment.id) != runs * METRICS:
                raise SystemExit("the listing lost metric values")
            sdk_listing = median_seconds(
                lambda: elapsed(lambda: table_values(remote, experiment.id)), args.repeat
            )
            remote.close()
            with httpx.Client(base_url=f"{server.url}/api/v1", timeout=60) as http:

                def search() -> None:
                    body = {"experiment_id": experiment.id, "format": "table"}
                    response = http.post("/runs/search", json=body)
                    response.raise_for_status()
                    if len(load_json(response.content)["rows"]) != runs:  # as the SDK reads it
                        raise SystemExit("the listing lost runs")

                listing = median_seconds(lambda: elapsed(search), args.repeat)

                def chart() -> None:
                    response = http.get(
                        f"/runs/{chart_run}/chart",
                        params={"name": "loss", "buckets": CHART_BUCKETS},
                    )
                    response.raise_for_status()
                    if response.json()["count"] != chart_points:
                        raise SystemExit("the chart lost points")

                chart()
                charting = median_seconds(lambda: elapsed(chart), args.repeat)
            numpy_chart = median_seconds(
                lambda: elapsed(lambda: numpy_buckets(values)), args.repeat
            )

            served = median_seconds(lambda: ingest_seconds(server.url, steps), args.repeat)
        finally:
            server.stop()
        check = Workspace(f"sqlite:///{folder / 'server.db'}", artifacts=folder / "artifacts")
        try:
            if stored_points(check) != points * args.repeat:
                raise SystemExit("the server lost points")
        finally:
            check.close()

        embedded_folder = folder / "embedded"
        embedded = median_seconds(lambda: ingest_seconds(str(embedded_folder), steps), args.repeat)

    print_table(
        f"Team server over SQLite, {CLIENTS} clients on the same 2 cores (median of {args.repeat})",
        [
            Row(
                f"ingest: {CLIENTS} clients x {steps * METRICS_PER_STEP:,} points, log_metrics",
                points / served,
                "points/s",
                INGEST_TARGET,
                "the same into one embedded workspace",
                points / embedded,
                higher_is_better=True,
            ),
            Row(
                f"POST /runs/search: {runs:,} runs x {METRICS} metric summaries, parsed",
                listing,
                "s",
                LIST_TARGET_S,
                "store.list_runs in-process",
                in_process_listing,
            ),
            Row(
                "  the same through the SDK, with every run's last values",
                sdk_listing,
                "s",
                None,
                "store.list_runs in-process",
                in_process_listing,
            ),
            Row(
                f"GET /runs/{{id}}/chart: {chart_points:,} points -> {CHART_BUCKETS:,} buckets",
                charting,
                "s",
                CHART_TARGET_S,
                "numpy min/max per bucket, in memory",
                numpy_chart,
            ),
        ],
        [
            "clients have imported runhistory and started their run before the start signal",
        ],
    )


if __name__ == "__main__":
    main()
