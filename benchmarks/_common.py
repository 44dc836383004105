"""What every benchmark script shares: arguments, timing, medians, a temporary workspace, the table.

A script measures each case ``--repeat`` times (default 5) and reports the median, next to a
baseline measured in the same process, so that a slow or busy machine moves both numbers together.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runhistory import Workspace

MISS = "MISS"
PASS = "PASS"


def parse_args(
    description: str, extra: Callable[[argparse.ArgumentParser], object] | None = None
) -> argparse.Namespace:
    """``--repeat N`` (median of N repetitions) and ``--quick`` (smaller sizes, for a smoke run);
    ``extra`` adds a script's own arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--repeat", type=int, default=5, help="repetitions per case; the median is reported"
    )
    parser.add_argument(
        "--quick", action="store_true", help="shrink the sizes for a quick smoke run"
    )
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def median_seconds(trial: Callable[[], float], repeat: int) -> float:
    """The median of ``repeat`` calls of ``trial``, each returning the seconds it measured.

    A trial times only its own body (with ``elapsed``), so its setup and cleanup stay untimed."""
    return statistics.median(trial() for _ in range(repeat))


def median_parts(trial: Callable[[], Sequence[float]], repeat: int) -> list[float]:
    """Like ``median_seconds`` for a trial that measures several parts: the median of each part."""
    samples = [trial() for _ in range(repeat)]
    return [statistics.median(part) for part in zip(*samples, strict=True)]


def elapsed(action: Callable[[], object]) -> float:
    """Seconds ``action()`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


@contextlib.contextmanager
def temporary_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="runhistory-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def temporary_workspace() -> Iterator[Workspace]:
    """A fresh embedded workspace in a temporary folder, closed and removed afterwards."""
    from runhistory import Workspace

    with temporary_folder() as folder:
        workspace = Workspace(folder / "workspace")
        try:
            yield workspace
        finally:
            workspace.close()


def loss_curve(count: int, seed: int = 0) -> list[float]:
    """A decaying loss with noise: what a training loop logs, with full-precision float64 values
    (the noise leaves nothing for a compressor to squeeze out of the mantissa)."""
    rng = random.Random(seed)
    scale = max(count / 5, 1.0)
    return [2.0 * math.exp(-i / scale) + 0.05 * rng.random() for i in range(count)]


@dataclasses.dataclass
class Row:
    """One line of a result table. ``target`` None means "reported, no target"; a target is
    met when ``measured <= target``. ``ratio`` is measured / baseline."""

    case: str
    measured: float
    unit: str
    target: float | None = None
    baseline_name: str = ""
    baseline: float | None = None
    higher_is_better: bool = False  # a rate: the target is met when ``measured >= target``

    @property
    def result(self) -> str:
        if self.target is None:
            return "-"
        if self.higher_is_better:
            return PASS if self.measured >= self.target else MISS
        return PASS if self.measured <= self.target else MISS

    @property
    def ratio(self) -> str:
        if self.baseline is None or self.baseline <= 0:
            return "-"
        return f"{self.measured / self.baseline:,.1f}x"


def format_value(value: float, unit: str) -> str:
    """``value`` in ``unit`` with three significant digits; seconds switch to ms or µs."""
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.3g} µs"
        if value < 1.0:
            return f"{value * 1e3:.3g} ms"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


def print_table(title: str, rows: Sequence[Row], notes: Sequence[str] = ()) -> None:
    """Print ``rows`` as an aligned markdown table under ``title``, then the notes."""
    header = ["case", "measured", "target", "result", "baseline", "baseline value", "ratio"]
    lines = [
        [
            row.case,
            format_value(row.measured, row.unit),
            "-"
            if row.target is None
            else (">= " if row.higher_is_better else "<= ") + format_value(row.target, row.unit),
            row.result,
            row.baseline_name or "-",
            "-" if row.baseline is None else format_value(row.baseline, row.unit),
            row.ratio,
        ]
        for row in rows
    ]
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(f"\n### {title}\n")
    print(render(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in lines:
        print(render(cells))
    if notes:
        print()
        for note in notes:
            print(f"- {note}")
    print(flush=True)
