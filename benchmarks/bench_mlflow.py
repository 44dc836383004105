"""The unmodified ``mlflow`` client against ``runhistory server`` and against ``mlflow server``
(the baseline), each over a SQLite file of its own, in the same run:

- log_batch of ``--points`` points, 1,000 metrics a call (points per second),
- get_metric_history of that metric,
- search_runs over ``--runs`` runs with a metric filter and an order.

Prints the median of ``--repeat`` rounds and runhistory's speed-up over MLflow's server.

    python benchmarks/bench_mlflow.py [--points 100000] [--runs 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(command: list[str], url: str, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/api/2.0/mlflow/experiments/search?max_results=1"):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{command[0]} exited; see {log}") from None
            time.sleep(0.2)
    raise SystemExit(f"{command} did not answer within 120 s; see {log}")


def servers(folder: Path) -> dict[str, tuple[str, subprocess.Popen[bytes]]]:
    started = {}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "runhistory.cli", "server",
        "--store", f"sqlite:///{folder}/runhistory.db",
        "--artifacts", str(folder / "rh-artifacts"), "--port", str(port),
    ]  # fmt: skip
    started["runhistory"] = (url, start(command, url, folder / "runhistory.log"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    mlflow = shutil.which("mlflow", path=str(Path(sys.executable).parent)) or "mlflow"
    command = [
        mlflow, "server", "--backend-store-uri", f"sqlite:///{folder}/mlflow.db",
        "--default-artifact-root", str(folder / "ml-artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    started["mlflow server"] = (url, start(command, url, folder / "mlflow.log"))
    return started


def measure(url: str, points: int, runs: int) -> dict[str, float]:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)
    experiment_id = client.create_experiment(f"bench-{time.time_ns()}")
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)
    batches = [
        [Metric("loss", 1 / (i + 1), now + i, i) for i in range(start, min(start + 1000, points))]
        for start in range(0, points, 1000)
    ]
    began = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch, synchronous=True)
    logging = time.perf_counter() - began
    began = time.perf_counter()
    history = client.get_metric_history(run_id, "loss")
    reading = time.perf_counter() - began
    assert len(history) == points, (len(history), points)
    for index in range(runs):
        other = client.create_run(experiment_id).info.run_id
        client.log_batch(other, metrics=[Metric("acc", index / runs, now, 0)])
    began = time.perf_counter()
    found = client.search_runs(
        [experiment_id], "metrics.acc >= 0.5", order_by=["metrics.acc DESC"], max_results=50000
    )
    searching = time.perf_counter() - began
    assert len(found) == runs - runs // 2, len(found)
    return {
        "log_batch points/s": points / logging,
        "get_metric_history s": reading,
        "search_runs s": searching,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    folder = Path(tempfile.mkdtemp(prefix="bench-mlflow-"))
    started = servers(folder)
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for _ in range(options.repeat):
            for name, (url, _process) in started.items():
                for key, value in measure(url, options.points, options.runs).items():
                    results.setdefault(name, {}).setdefault(key, []).append(value)
    finally:
        for _url, process in started.values():
            process.terminate()
            process.wait(30)
    print(f"{options.points:,} points, {options.runs:,} runs, median of {options.repeat}")
    print(f"{'measure':<24}{'runhistory':>14}{'mlflow server':>16}{'speed-up':>10}")
    faster: dict[str, Callable[[float, float], float]] = {
        "log_batch points/s": lambda ours, theirs: ours / theirs,
        "get_metric_history s": lambda ours, theirs: theirs / ours,
        "search_runs s": lambda ours, theirs: theirs / ours,
    }
    for key, ratio in faster.items():
        ours = statistics.median(results["runhistory"][key])
        theirs = statistics.median(results["mlflow server"][key])
        print(f"{key:<24}{ours:>14,.3f}{theirs:>16,.3f}{ratio(ours, theirs):>9.1f}x")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
