"""Logging cost: ``run.log`` and ``run.log_metrics`` in a loop, then ``run.flush()``.

Each repetition logs into a fresh run of a fresh workspace; the time covers the loop and the final
flush, so points the background writer has not stored yet are paid for. Baselines: the same loops
appending the same values to Python lists.

    python benchmarks/bench_log.py [--repeat N] [--quick]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from _common import (
    Row,
    elapsed,
    loss_curve,
    median_parts,
    median_seconds,
    parse_args,
    print_table,
    temporary_workspace,
)

from runhistory import Experiment, Run

LOG_TARGET_US = 1.0
LOG_METRICS_TARGET_US = 0.3
METRICS_PER_STEP = 100


def time_logging(body: Callable[[Run], None]) -> tuple[float, float]:
    """Seconds of ``body(run)`` and of the ``run.flush()`` after it, in a fresh workspace."""
    with temporary_workspace() as workspace:
        run = Experiment(workspace, "bench-log").start_logging(
            snapshot_directory=None, outputs=None
        )
        start = time.perf_counter()
        body(run)
        logged = time.perf_counter()
        run.flush()
        flushed = time.perf_counter()
        run.complete()
    return logged - start, flushed - logged


def log_loop(values: Sequence[float]) -> Callable[[Run], None]:
    def body(run: Run) -> None:
        for value in values:
            run.log("loss", value)

    return body


def append_loop(values: Sequence[float]) -> float:
    def body() -> None:
        series: list[float] = []
        for value in values:
            series.append(value)

    return elapsed(body)


def log_metrics_loop(
    names: Sequence[str], rows: Sequence[Sequence[float]], with_step: bool
) -> Callable[[Run], None]:
    def body(run: Run) -> None:
        for step, row in enumerate(rows):
            run.log_metrics(dict(zip(names, row, strict=True)), step=step if with_step else None)

    return body


def dict_append_loop(names: Sequence[str], rows: Sequence[Sequence[float]]) -> float:
    def body() -> None:
        series: dict[str, list[float]] = {name: [] for name in names}
        for row in rows:
            for name, value in dict(zip(names, row, strict=True)).items():
                series[name].append(value)

    return elapsed(body)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    points = 100_000 if args.quick else 1_000_000
    steps = points // METRICS_PER_STEP
    values = loss_curve(points)
    names = [f"metric_{j:03d}" for j in range(METRICS_PER_STEP)]
    rows = [values[i * METRICS_PER_STEP : (i + 1) * METRICS_PER_STEP] for i in range(steps)]
    per_point_us = 1e6 / points

    log_seconds, log_flush = median_parts(lambda: time_logging(log_loop(values)), args.repeat)
    append_seconds = median_seconds(lambda: append_loop(values), args.repeat)
    implicit, implicit_flush = median_parts(
        lambda: time_logging(log_metrics_loop(names, rows, with_step=False)), args.repeat
    )
    explicit, explicit_flush = median_parts(
        lambda: time_logging(log_metrics_loop(names, rows, with_step=True)), args.repeat
    )
    dict_seconds = median_seconds(lambda: dict_append_loop(names, rows), args.repeat)

    table = [
        Row(
            f"log(name, float) x {points:,}, loop + flush",
            (log_seconds + log_flush) * per_point_us,
            "µs/point",
            LOG_TARGET_US,
            "list.append",
            append_seconds * per_point_us,
        ),
        Row("  of which the final flush", log_flush * per_point_us, "µs/point"),
        Row(
            f"log_metrics({METRICS_PER_STEP} names) x {steps:,} steps, loop + flush",
            (implicit + implicit_flush) * per_point_us,
            "µs/point",
            LOG_METRICS_TARGET_US,
            "dict + list.append",
            dict_seconds * per_point_us,
        ),
        Row("  of which the final flush", implicit_flush * per_point_us, "µs/point"),
        Row(
            f"log_metrics(..., step=i) x {steps:,} steps, loop + flush",
            (explicit + explicit_flush) * per_point_us,
            "µs/point",
            LOG_METRICS_TARGET_US,
            "dict + list.append",
            dict_seconds * per_point_us,
        ),
        Row("  of which the final flush", explicit_flush * per_point_us, "µs/point"),
    ]
    print_table(
        f"Logging ({points:,} points, median of {args.repeat})",
        table,
        [
            "each repetition logs into a fresh run of a fresh workspace; the background writer "
            "flushes every second during the loop, and that work is inside the time",
            "log_metrics loops build each step's dict from a list of values, in the baseline too",
        ],
    )


if __name__ == "__main__":
    main()
