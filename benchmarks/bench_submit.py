"""Submitted runs on the local target: latency from submit to Running, and overhead per run.

- Submit to Running: ``Experiment.submit`` of a short script while the target's agent is idle
  (started by an earlier run); the time from calling submit to the run's recorded start. The first
  submit, which also starts the agent, is reported separately.
- Overhead per run: 50 trivial runs on a target with ``max_concurrent_runs=2``. Each run holds one
  of the two places from claim to finalize, so ``2 * wall / 50`` is the time a run costs; minus
  the time of running the same script directly with Python (the script's own time), measured in
  the same run, it is what the queue, the launcher and finalizing add.

- Output capture: a submitted script prints ``CAPTURE_MB`` MB (lines of 100 bytes, written in
  blocks as fast as the pipe takes them); MB per second from the run's start to its end, every
  byte stored in the run's ``logs/std_log.txt`` (checked). Baselines: ``cat file > /dev/null`` of
  the same bytes (the disk-speed floor), and the same script run directly into ``/dev/null``.

Baseline: ``python script.py`` run directly, the floor of starting any Python process.

    python benchmarks/bench_submit.py [--repeat N] [--quick]
"""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from _common import Row, elapsed, median_seconds, parse_args, print_table, temporary_folder

from runhistory import Experiment, Run, ScriptRunConfig, Workspace
from runhistory.compute import set_compute_target
from runhistory.settings import Settings

LATENCY_TARGET_S = 0.5
OVERHEAD_TARGET_S = 0.3
CAPTURE_MB = 50
CAPTURE_TARGET_MB_S = 20.0

LOUD = """
import sys
line = "x" * 90
block = "".join(f"{i:08d} {line}\\n" for i in range(1000))  # 100 KB of 100-byte lines
for _ in range(int(sys.argv[1]) * 10):
    sys.stdout.write(block)
"""


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


def capture_rate(experiment: Experiment, folder: Path, megabytes: int) -> float:
    """MB/s of a submitted script's printed output, from the run's start to its end."""
    run = experiment.submit(ScriptRunConfig(folder, "loud.py", arguments=[megabytes]))
    wait_for(run, {"Completed", "Failed"}, timeout=600)
    record = run._refresh()
    assert record.started is not None and record.ended is not None
    text, _ = experiment.workspace.store.read_log(run.id, "logs/std_log.txt")
    if len(text) != megabytes * 1_000_000:
        raise SystemExit(f"the run stored {len(text):,} bytes of {megabytes * 1_000_000:,}")
    return megabytes / (record.ended - record.started)


def rate_of(action: Callable[[], object], megabytes: int) -> float:
    return megabytes / elapsed(action)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    runs = 10 if args.quick else 50
    with temporary_folder() as folder:
        (folder / "sleep.py").write_text("import time\ntime.sleep(0.3)\n")
        (folder / "trivial.py").write_text("pass\n")
        (folder / "loud.py").write_text(LOUD)
        settings = dataclasses.replace(
            Settings.from_env(), agent_poll_seconds=0.05, agent_idle_seconds=30.0
        )
        workspace = Workspace(folder / ".runhistory", settings=settings)
        set_compute_target(workspace, "pair", max_concurrent_runs=2)
        experiment = Experiment(workspace, "bench-submit")
        source = folder / "project"
        source.mkdir()
        for name in ("sleep.py", "trivial.py", "loud.py"):
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
        megabytes = 10 if args.quick else CAPTURE_MB
        printed = folder / "printed.txt"
        with open(printed, "wb") as out:
            subprocess.run([sys.executable, str(source / "loud.py"), str(megabytes)], stdout=out)
        cat = statistics.median(
            rate_of(
                lambda: subprocess.run(["cat", str(printed)], stdout=subprocess.DEVNULL),
                megabytes,
            )
            for _ in range(args.repeat)
        )
        direct = statistics.median(
            rate_of(
                lambda: subprocess.run(
                    [sys.executable, str(source / "loud.py"), str(megabytes)],
                    stdout=subprocess.DEVNULL,
                ),
                megabytes,
            )
            for _ in range(args.repeat)
        )
        captured = statistics.median(
            capture_rate(experiment, source, megabytes) for _ in range(max(1, args.repeat // 2))
        )
        workspace.close()

    print_table(
        f"Output capture of a submitted script printing {megabytes} MB",
        [
            Row(
                "captured into the run's log (start to end)",
                captured,
                "MB/s",
                CAPTURE_TARGET_MB_S,
                "cat file > /dev/null",
                cat,
                higher_is_better=True,
            ),
            Row(
                "the script run directly into /dev/null",
                direct,
                "MB/s",
                None,
                "cat file > /dev/null",
                cat,
                higher_is_better=True,
            ),
        ],
        ["every byte was read back from the run's logs/std_log.txt and counted"],
    )
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
