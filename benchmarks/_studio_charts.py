"""Studio charts, measured in a real browser (Playwright driving Debian's chromium) against a real
``runhistory server``: ``bench_studio.py`` calls ``chart_rows``; this file also runs alone.

- Run page with one metric of 1,000,000 points: from navigation to the chart drawn (the page,
  the run, the server's 1,000 buckets, uPlot's drawing). Baseline: the ``/chart`` request alone
  from Python, the same buckets (the transfer and the server's part of it).
- Zoom to 1% of it (10,000 points, asked from the server at the chart's resolution) until
  redrawn. Baseline: that ``/chart`` request alone.
- 50 runs overlaid in one chart (a parent's child runs, 100,000 points each; the run page's
  children tab): from navigation to drawn. Baseline: the ``/charts`` request of the 50 runs alone.

Each case is the median of ``--repeat`` page loads or zooms in one browser.

    python benchmarks/_studio_charts.py [--repeat N] [--quick]
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _common import Row, elapsed, median_seconds, parse_args, print_table, temporary_folder
from bench_server import Server

from runhistory import Experiment, Workspace
from runhistory.model import MetricKind, RunStatus
from runhistory.store.base import MetricAppend, WriteBatch

CHROMIUM = os.environ.get("RUNHISTORY_CHROMIUM", "/usr/bin/chromium")
DRAWN_TARGET_S = 0.5
ZOOM_TARGET_S = 0.3
OVERLAY_TARGET_S = 0.5
OVERLAY_RUNS = 50
BUCKETS = 1_000  # what the run page asks for (charts/MetricChart.tsx)
OVERLAY_BUCKETS = 320  # what a chart of 50 runs asks for per run (charts/RunsChart.tsx)


@dataclasses.dataclass
class ChartData:
    long_run: str  # one metric "loss" of ``points`` points
    points: int
    parent: str  # OVERLAY_RUNS children with "loss"
    children: list[str]


def append_series(workspace: Workspace, run_id: str, values: np.ndarray) -> None:
    start = time.time()
    for part in np.array_split(values, max(len(values) // 1_000_000, 1)):
        times = start + np.arange(len(part)) * 1e-3
        workspace.store.append(
            WriteBatch([MetricAppend(run_id, "loss", MetricKind.SCALAR, "", part, times)])
        )
        start = float(times[-1]) + 1e-3
    workspace.store.set_status(run_id, RunStatus.COMPLETED, ended=time.time())


def seed_chart_data(workspace: Workspace, points: int, child_points: int) -> ChartData:
    """A run with a long metric, and a parent run with OVERLAY_RUNS children."""
    store = workspace.store
    experiment = Experiment(workspace, "bench-studio-charts")
    rng = np.random.default_rng(0)

    def new_run(parent: str | None = None, name: str | None = None) -> str:
        return store.create_run(
            experiment.id,
            status=RunStatus.RUNNING,
            run_type="interactive",
            parent_id=parent,
            display_name=name,
            started=time.time(),
        ).id

    long_run = new_run(name="long")
    append_series(workspace, long_run, rng.normal(size=points).cumsum())
    parent = new_run(name="sweep")
    children = []
    for i in range(OVERLAY_RUNS):
        child = new_run(parent, f"trial-{i}")
        curve = np.exp(-np.arange(child_points) / (child_points / 4)) * (1 + i / OVERLAY_RUNS)
        append_series(workspace, child, curve + 0.05 * rng.random(child_points))
        children.append(child)
    store.set_status(parent, RunStatus.COMPLETED, ended=time.time())
    return ChartData(long_run, points, parent, children)


def page_load_seconds(page: Any, url: str, drawn: str) -> float:
    """Seconds from navigation to the chart ``drawn`` (a selector of its plot) painted, by the
    page's own clock (the chart notes when its drawing reached the screen)."""
    page.goto(url, wait_until="commit")
    plot = page.wait_for_selector(f"{drawn}[data-drawn]", state="attached", timeout=60_000)
    return float(plot.get_attribute("data-drawn")) / 1000


def zoom_seconds(page: Any, first: int, last: int) -> float:
    """Seconds from asking for a zoomed step range (as a drag does) to it redrawn, by the page's
    clock."""
    asked = page.evaluate(
        """([first, last]) => {
            const query = new URLSearchParams(location.search);
            query.set("zoom", `${first}:${last}`);
            history.pushState(null, "", `${location.pathname}?${query}`);
            const asked = performance.now();
            dispatchEvent(new PopStateEvent("popstate"));
            return asked;
        }""",
        [first, last],
    )
    plot = page.wait_for_selector(
        f'[data-count="{last - first + 1}"] .chart-plot[data-drawn]', timeout=60_000
    )
    page.wait_for_function(
        "([plot, asked]) => Number(plot.dataset.drawn) > asked", arg=[plot, asked], timeout=60_000
    )
    return (float(plot.get_attribute("data-drawn")) - asked) / 1000


def chart_rows(browser: Any, url: str, data: ChartData, repeat: int) -> list[Row]:
    """The three chart cases against a server at ``url`` holding ``data``."""
    api = httpx.Client(base_url=f"{url}/api/v1", timeout=60)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        run_page = f"{url}/runs/{data.long_run}?tab=metrics"
        drawn = f'[data-count="{data.points}"] .chart-plot'
        page_load_seconds(page, run_page, drawn)  # warm: the browser caches the app's files
        drawn_s = median_seconds(lambda: page_load_seconds(page, run_page, drawn), repeat)

        def chart_request(**params: Any) -> None:
            api.get(
                f"/runs/{data.long_run}/chart", params={"name": "loss", **params}
            ).raise_for_status()

        request_s = median_seconds(lambda: elapsed(lambda: chart_request(buckets=BUCKETS)), repeat)

        width = data.points // 100
        starts = [data.points // 7 * (i + 1) for i in range(repeat)]
        zooms = iter(starts)
        zoom_s = median_seconds(
            lambda: zoom_seconds(page, (s := next(zooms)), s + width - 1), repeat
        )
        zoom_request_s = median_seconds(
            lambda: elapsed(
                lambda: chart_request(
                    buckets=BUCKETS, first_step=starts[0], last_step=starts[0] + width - 1
                )
            ),
            repeat,
        )

        children = f"{url}/runs/{data.parent}?tab=children&chart=loss"
        overlay = f'.chart[data-lines="{OVERLAY_RUNS}"] .chart-plot'
        page_load_seconds(page, children, overlay)
        overlay_s = median_seconds(lambda: page_load_seconds(page, children, overlay), repeat)
        params = [("name", "loss"), ("buckets", OVERLAY_BUCKETS)]
        params += [("run_id", run) for run in data.children]
        overlay_request_s = median_seconds(
            lambda: elapsed(lambda: api.get("/charts", params=params).raise_for_status()), repeat
        )
    finally:
        context.close()
        api.close()
    return [
        Row(
            f"run page, {data.points:,}-point metric: chart drawn",
            drawn_s,
            "s",
            DRAWN_TARGET_S,
            f"GET /chart ({BUCKETS} buckets)",
            request_s,
        ),
        Row(
            f"zoom to 1% ({width:,} points) redrawn",
            zoom_s,
            "s",
            ZOOM_TARGET_S,
            "GET /chart of the range",
            zoom_request_s,
        ),
        Row(
            f"{OVERLAY_RUNS} runs overlaid in one chart: drawn",
            overlay_s,
            "s",
            OVERLAY_TARGET_S,
            f"GET /charts of {OVERLAY_RUNS} runs",
            overlay_request_s,
        ),
    ]


def main() -> None:
    from playwright.sync_api import sync_playwright

    args = parse_args(__doc__.splitlines()[0])
    with temporary_folder() as folder:
        seed = Workspace(folder / "seed")
        data = seed_chart_data(seed, 1_000_000, 10_000 if args.quick else 100_000)
        seed.close()
        os.replace(folder / "seed" / "runhistory.db", folder / "server.db")
        for suffix in ("-wal", "-shm"):
            Path(folder / "seed" / f"runhistory.db{suffix}").unlink(missing_ok=True)
        server = Server(folder)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"]
                )
                try:
                    rows = chart_rows(browser, server.url, data, args.repeat)
                finally:
                    browser.close()
        finally:
            server.stop()
    print_table(
        f"Studio charts in chromium (median of {args.repeat})",
        rows,
        [
            "Measured by the page (performance.now() from navigation) or from the zoom's request "
            "to its redraw; the baseline is the API request alone from Python.",
        ],
    )


if __name__ == "__main__":
    main()
