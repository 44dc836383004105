"""Submitted runs on the local target: latency from submit to Running, and overhead per run.

- Submit to Running: ``Experiment.submit`` of a short script while the target's agent is idle
  (started by an earlier run); the time from calling submit to the run's recorded start. The first
  submit, which also starts the agent, is reported separately.
- Overhead per run: 50 trivial runs on a target with ``max_concurrent_runs=2``. Each run holds one
  of the two places from claim to finalize, so ``2 * wall / 50`` is the time a run costs; minus
  the time of running the same script directly with Python (the script's own time), measured in
  the same run, it is what the queue, the launcher and finalizing add.

Baseline: ``python script.py`` run directly, the floor of starting any Python process.

    python benchmarks/bench_submit.py [--repeat N] [--quick]
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path

from _common import Row, elapsed, median_seconds, parse_args, print_table, temporary_folder

from runhistory import Experiment, Run, ScriptRunConfig, Workspace
from runhistory.compute import set_compute_target
from runhistory.settings import Settings

LATENCY_TARGET_S = 0.5
OVERHEAD_TARGET_S = 0.3


def wait_for(run: Run, statuses: set[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while run.get_status() not in statuses:
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run.id} is stuck in {run.get_status()}")
        time.sleep(0.01)


def submit_latency(experiment: Experiment, folder: Path) -> float:
    start = time.time()
    run = experiment.submit(ScriptRunConfig(folder, "sleep.py"))
    wait_for(run, {"Running", "Completed", "Failed"})
    started = run._refresh().started
    wait_for(run, {"Completed", "Failed"})
    assert started is not None
    return started - start


def overhead_per_run(experiment: Experiment, folder: Path, runs: int) -> float:
    start = time.time()
    submitted = [
        experiment.submit(ScriptRunConfig(folder, "trivial.py", compute_target="pair"))
        for _ in range(runs)
    ]
    for run in submitted:
        wait_for(run, {"Completed", "Failed"})
    ended = max(run._refresh().ended or 0.0 for run in submitted)
    return 2 * (ended - start) / runs


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    runs = 10 if args.quick else 50
    with temporary_folder() as folder:
        (folder / "sleep.py").write_text("import time\ntime.sleep(0.3)\n")
        (folder / "trivial.py").write_text("pass\n")
        settings = dataclasses.replace(
            Settings.from_env(), agent_poll_seconds=0.05, agent_idle_seconds=30.0
        )
        workspace = Workspace(folder / ".runhistory", settings=settings)
        set_compute_target(workspace, "pair", max_concurrent_runs=2)
        experiment = Experiment(workspace, "bench-submit")
        source = folder / "project"
        source.mkdir()
        for name in ("sleep.py", "trivial.py"):
            (source / name).write_text((folder / name).read_text())

        cold = submit_latency(experiment, source)
        latency = median_seconds(lambda: submit_latency(experiment, source), args.repeat)
        script = median_seconds(
            lambda: elapsed(
                lambda: subprocess.run([sys.executable, str(source / "trivial.py")], check=True)
            ),
            args.repeat,
        )
        per_run = median_seconds(
            lambda: overhead_per_run(experiment, source, runs), max(1, args.repeat // 2)
        )
        workspace.close()

    print_table(
        f"Submitted runs on the local target (median of {args.repeat})",
        [
            Row(
                "submit -> Running, agent idle",
                latency,
                "s",
                LATENCY_TARGET_S,
                "python trivial.py",
                script,
            ),
            Row(
                "submit -> Running, first submit starts the agent",
                cold,
                "s",
                None,
                "python trivial.py",
                script,
            ),
            Row(
                f"overhead per run, {runs} trivial runs at concurrency 2",
                per_run - script,
                "s",
                OVERHEAD_TARGET_S,
                "python trivial.py",
                script,
            ),
            Row(f"time a run holds its place ({runs} runs, 2 places)", per_run, "s"),
        ],
        ["overhead = 2 * wall / runs - the script's own time (python trivial.py, measured here)"],
    )


if __name__ == "__main__":
    main()
