"""``runhistory history list`` as a whole process: start, import, read 10,000 runs, print a table.

Setup (timed and printed, not part of the result): one experiment of completed runs, each with a
script, arguments and ``METRICS`` scalar metrics of a few points, made through the store calls the
SDK makes, in batches. Each case runs the installed ``runhistory`` command with its output piped
(stdout not a terminal, so the plain table is printed, as in a script or ``| less``), once to warm
up and then ``--repeat`` times; the median is reported. Baselines, measured in the same run: the
interpreter doing nothing (``python -c pass``) and importing ``sqlite3``.

The commands run with bytecode caching on (``PYTHONPYCACHEPREFIX`` in a temporary folder) even where
the calling environment sets ``PYTHONDONTWRITEBYTECODE``: an installed package has its bytecode
compiled, and recompiling every module on each start would measure the compiler instead.

    python benchmarks/bench_cli.py [--repeat N] [--quick]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from _common import Row, median_seconds, parse_args, print_table, temporary_folder

from runhistory import Experiment, RunStatus, Workspace
from runhistory.model import MetricKind
from runhistory.store.base import MetricAppend, WriteBatch

LIST_TARGET_S = 0.5
METRICS = ["loss", "accuracy", "learning_rate", "epoch"]
POINTS = 5
BATCH = 250


def create_runs(workspace: Workspace, count: int) -> None:
    """``count`` completed runs, each with ``METRICS`` of ``POINTS`` points, via the store."""
    store = workspace.store
    experiment = Experiment(workspace, "bench-cli")
    for first in range(0, count, BATCH):
        started = time.time()
        run_ids = [
            store.create_run(
                experiment.id,
                status=RunStatus.RUNNING,
                run_type="interactive",
                script_name="train.py",
                arguments=["--lr", str(0.001 * (i % 10 + 1)), "--epochs", "5"],
                started=started,
            ).id
            for i in range(first, min(first + BATCH, count))
        ]
        stamps = [started + step for step in range(POINTS)]
        store.append(
            WriteBatch(
                metrics=[
                    MetricAppend(
                        run_id,
                        name,
                        MetricKind.SCALAR,
                        "",
                        [(first + i) / count + j + step / POINTS for step in range(POINTS)],
                        stamps,
                    )
                    for i, run_id in enumerate(run_ids)
                    for j, name in enumerate(METRICS)
                ]
            )
        )
        for run_id in run_ids:
            store.set_status(run_id, RunStatus.COMPLETED, ended=started + POINTS)


def command_line() -> list[str]:
    """The installed ``runhistory`` command beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "runhistory"
    if script.is_file():
        return [str(script)]
    found = shutil.which("runhistory")
    return [found] if found else [sys.executable, "-m", "runhistory.cli"]


def timed(command: Sequence[str], environment: dict[str, str], expect_lines: int | None) -> float:
    """Seconds the whole process takes, with its output read through a pipe."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, env=environment, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()}")
    printed = result.stdout.count(b"\n")
    if expect_lines is not None and printed != expect_lines:
        raise SystemExit(f"{' '.join(command)} printed {printed} lines, expected {expect_lines}")
    return seconds


def measure(
    command: Sequence[str], environment: dict[str, str], lines: int | None, repeat: int
) -> float:
    """The median of ``repeat`` timed runs, after one untimed run (bytecode, page cache)."""
    timed(command, environment, lines)
    return median_seconds(lambda: timed(command, environment, lines), repeat)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    runs = 1_000 if args.quick else 10_000

    with temporary_folder() as folder:
        workspace = Workspace(folder / "workspace")
        start = time.perf_counter()
        create_runs(workspace, runs)
        setup_seconds = time.perf_counter() - start
        workspace.close()

        environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNHISTORY_")}
        environment.pop("PYTHONDONTWRITEBYTECODE", None)
        environment["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        listing = [*command_line(), "history", "list", "-w", workspace.location]
        cases = {
            "table": ([*listing, "-o", "table"], runs + 1),
            "json": ([*listing, "-o", "json"], None),
            "csv": ([*listing, "-o", "csv"], runs + 1),
            "newest 50 (--limit 50)": ([*listing, "--limit", "50"], 51),
            "python -c pass": ([sys.executable, "-c", "pass"], 0),
            'python -c "import sqlite3"': ([sys.executable, "-c", "import sqlite3"], 0),
        }
        medians = {
            name: measure(command, environment, lines, args.repeat)
            for name, (command, lines) in cases.items()
        }

    bare, sqlite = medians["python -c pass"], medians['python -c "import sqlite3"']
    rows = [
        Row(
            f"runhistory history list -o table ({runs:,} runs, piped)",
            medians["table"],
            "s",
            LIST_TARGET_S if not args.quick else None,
            "python -c pass",
            bare,
        ),
        Row(f"... -o json ({runs:,} runs)", medians["json"], "s", None, "python -c pass", bare),
        Row(f"... -o csv ({runs:,} runs)", medians["csv"], "s", None, "python -c pass", bare),
        Row(
            "... --limit 50 (what a terminal shows)",
            medians["newest 50 (--limit 50)"],
            "s",
            None,
            "python -c pass",
            bare,
        ),
        Row('python -c "import sqlite3"', sqlite, "s", None, "python -c pass", bare),
    ]
    print_table(
        f"runhistory history list, whole process, median of {args.repeat}",
        rows,
        [
            f"setup: {runs:,} runs x {len(METRICS)} metrics x {POINTS} points via the store "
            f"in {setup_seconds:.1f} s",
            "reference: `mlflow runs list` takes 3.0 s (median of 5) over an experiment of 7 runs "
            "on the same kind of machine",
        ],
    )


if __name__ == "__main__":
    main()
