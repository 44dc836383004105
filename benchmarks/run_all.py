"""Run every benchmark, print every table, then list the cases that missed their target.

A report, not a test: it exits 0 when targets are missed, and 1 only when a script failed to run.
Each script runs in its own process so one's memory and caches do not colour the next.

    python benchmarks/run_all.py [--repeat N] [--quick]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _common import MISS, parse_args

SCRIPTS = [
    "bench_log.py",
    "bench_read.py",
    "bench_process.py",
    "bench_list.py",
    "bench_submit.py",
    "bench_cli.py",
    "bench_server.py",
    "bench_wide_runs.py",
    "bench_studio.py",
]


def run_script(script: Path, options: list[str]) -> tuple[int, str]:
    """Run ``script``, echoing its output as it comes; returns its exit status and output."""
    process = subprocess.Popen(
        [sys.executable, str(script), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return process.wait(), "".join(lines)


def describe_miss(script: str, table_line: str) -> str:
    """``script: case: measured (target ..., ratio to baseline)`` from one line of a table."""
    case, measured, target, _, baseline, _, ratio = (
        cell.strip() for cell in table_line.strip().strip("|").split("|")
    )
    return f"{script}: {case}: {measured}, target {target} ({ratio} {baseline})"


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    options = ["--repeat", str(args.repeat), *(["--quick"] if args.quick else [])]
    here = Path(__file__).resolve().parent
    misses: list[str] = []
    failed: list[str] = []
    for name in SCRIPTS:
        status, output = run_script(here / name, options)
        if status != 0:
            failed.append(f"{name} exited with status {status}")
        misses += [
            describe_miss(name, line) for line in output.splitlines() if f"| {MISS} " in line
        ]

    print("\n### Summary\n")
    for line in misses + failed:
        print(f"- {line}")
    if not misses and not failed:
        print("- every target met")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
