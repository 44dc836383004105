"""A whole short process: start Python, import runhistory, log one point, complete, exit.

Timed from spawn to exit with ``subprocess``. The workspace exists beforehand; creating it (the
first run in a new folder, which also creates the database schema) is timed separately. Baselines:
``python -c pass`` and ``python -c "import sqlite3, json"`` in the same run.

    python benchmarks/bench_process.py [--repeat N] [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import Row, elapsed, median_seconds, parse_args, print_table, temporary_folder

PROCESS_TARGET_S = 0.3

ONE_POINT = """
import sys
from runhistory import Experiment, Workspace

run = Experiment(Workspace(sys.argv[1]), "bench-process").start_logging(
    snapshot_directory=None, outputs=None
)
run.log("loss", 0.5)
run.complete()
"""


def spawn(code: str, *args: str, cwd: Path) -> float:
    """Seconds from starting ``python -c code args`` to its exit; raises if it fails."""
    command = [sys.executable, "-c", code, *args]
    return elapsed(lambda: subprocess.run(command, cwd=cwd, check=True))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    with temporary_folder() as scratch:
        spawn("pass", cwd=scratch)  # warm the OS file cache for the interpreter

        first_runs = iter(range(args.repeat))
        creation = median_seconds(
            lambda: spawn(ONE_POINT, str(scratch / f"new-{next(first_runs)}"), cwd=scratch),
            args.repeat,
        )
        workspace = str(scratch / "new-0")
        one_point = median_seconds(lambda: spawn(ONE_POINT, workspace, cwd=scratch), args.repeat)
        import_only = median_seconds(lambda: spawn("import runhistory", cwd=scratch), args.repeat)
        bare = median_seconds(lambda: spawn("pass", cwd=scratch), args.repeat)
        stdlib = median_seconds(lambda: spawn("import sqlite3, json", cwd=scratch), args.repeat)

    baseline = "python -c pass"
    print_table(
        f"Process start to exit (median of {args.repeat})",
        [
            Row(
                "import, Workspace, start_logging, log, complete",
                one_point,
                "s",
                PROCESS_TARGET_S,
                baseline,
                bare,
            ),
            Row(
                "the same, first run in a new workspace folder", creation, "s", None, baseline, bare
            ),
            Row("import runhistory only", import_only, "s", None, baseline, bare),
            Row('python -c "import sqlite3, json"', stdlib, "s", None, baseline, bare),
            Row("python -c pass", bare, "s", None, baseline, bare),
        ],
        [
            "the workspace folder exists before the timed runs; every process adds one run to it",
            "--quick changes nothing here: each case is one short process",
        ],
    )


if __name__ == "__main__":
    main()
