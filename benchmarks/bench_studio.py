"""The studio in a real browser (Playwright driving Debian's chromium) against a real
``runhistory server``: how fast the dashboard of a large experiment is usable, and how much the
browser downloads.

- Dashboard of an experiment with 10,000 runs x 20 metrics (``--quick``: 1,000): from navigation
  to the table showing its rows (the page's own clock, ``performance.mark`` in the table).
  Baseline: the listing request (``POST /runs/search``, "format": "table") alone from Python;
  the same request's time inside the page is printed apart (the transfer).
- Sorting those runs by a metric: from the click on the column's header to the new first row.
- Rows in the page while scrolling the table from top to bottom (the rest are virtual).
- First load: gzipped JavaScript and CSS the server sends for the studio's first page.
- The chart figures of ``_studio_charts.py`` (run page, zoom, 50 runs overlaid) on the same server.

Every figure is the median of ``--repeat`` page loads (or sorts) in one browser, after a warm-up
load (the browser caches the app's files, as it does for a user).

    python benchmarks/bench_studio.py [--repeat N] [--quick]
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
from _common import Row, elapsed, median_seconds, parse_args, print_table, temporary_folder
from _studio_charts import CHROMIUM, chart_rows, seed_chart_data
from bench_list import METRICS, create_runs_with_store
from bench_server import Server

from runhistory import Experiment, Workspace

INTERACTIVE_TARGET_S = 1.0
DOM_ROWS_TARGET = 50
FIRST_LOAD_TARGET_KB = 250
EXPERIMENT = "bench-studio"
COLUMNS = "number,name,status,created,duration," + ",".join(
    f"m:metric_{j:02d}:last" for j in range(0, METRICS, 4)
)


def dashboard_seconds(page: Any, url: str, runs: int) -> tuple[float, float]:
    """Seconds from navigation to the table's rows shown, and of that the listing request.
    Each load starts from a blank page, as when a user opens the dashboard from elsewhere."""
    page.goto("about:blank")
    page.goto(url, wait_until="commit")
    page.wait_for_selector(f".run-counts[data-total='{runs}']", timeout=120_000)
    page.wait_for_selector("tbody tr[data-run]", timeout=120_000)
    ready, listing = page.evaluate(
        """() => {
            const mark = performance.getEntriesByName("runs-table-ready")[0];
            const request = performance.getEntriesByType("resource")
                .find((entry) => entry.name.endsWith("/api/v1/runs/search"));
            return [mark.startTime, request ? request.responseEnd - request.startTime : -1];
        }"""
    )
    return ready / 1000, listing / 1000


def sort_seconds(page: Any, metric_column: str) -> float:
    """Seconds from a click on a metric column's header to the table's first row changing."""
    first = page.locator("tbody tr[data-run]").first.get_attribute("data-run")
    started = page.evaluate("performance.now()")
    page.locator(f"button.sort[data-column='{metric_column}']").click()
    page.wait_for_function(
        "(first) => document.querySelector('tbody tr[data-run]')?.dataset.run !== first",
        arg=first,
        timeout=60_000,
    )
    return (page.evaluate("performance.now()") - started) / 1000


def most_rows_while_scrolling(page: Any) -> int:
    """The most table rows in the page at any of 20 scroll positions, top to bottom."""
    return int(
        page.evaluate(
            """async () => {
                const table = document.querySelector(".run-table");
                let most = 0;
                for (let i = 0; i <= 20; i++) {
                    table.scrollTop = (table.scrollHeight - table.clientHeight) * i / 20;
                    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
                    most = Math.max(most, document.querySelectorAll("tbody tr").length);
                }
                return most;
            }"""
        )
    )


def first_load_bytes(url: str) -> tuple[int, int]:
    """Gzipped bytes of the JavaScript and CSS the first page loads, and their size unzipped."""
    with httpx.Client(base_url=url, headers={"Accept-Encoding": "gzip"}) as http:
        index = http.get("/").text
        sent = plain = 0
        for asset in re.findall(r'(?:src|href)="(/assets/[^"]+\.(?:js|css))"', index):
            response = http.get(asset)
            response.raise_for_status()
            sent += response.num_bytes_downloaded
            plain += len(response.content)
    return sent, plain


def main() -> None:
    from playwright.sync_api import sync_playwright

    args = parse_args(__doc__.splitlines()[0])
    runs = 1_000 if args.quick else 10_000
    with temporary_folder() as folder:
        seed = Workspace(folder / "seed")
        experiment = Experiment(seed, EXPERIMENT)
        create_runs_with_store(seed, experiment, runs)
        charts = seed_chart_data(seed, 1_000_000, 10_000 if args.quick else 100_000)
        seed.close()
        os.replace(folder / "seed" / "runhistory.db", folder / "server.db")
        for suffix in ("-wal", "-shm"):
            Path(folder / "seed" / f"runhistory.db{suffix}").unlink(missing_ok=True)
        server = Server(folder)
        try:
            with httpx.Client(base_url=f"{server.url}/api/v1", timeout=120) as http:

                def listing() -> None:
                    body = {"experiment_id": experiment.id, "format": "table"}
                    http.post("/runs/search", json=body).raise_for_status()

                listing()
                listing_s = median_seconds(lambda: elapsed(listing), args.repeat)
            dashboard = f"{server.url}/experiments/{EXPERIMENT}?cols={COLUMNS}"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"]
                )
                try:
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    dashboard_seconds(page, dashboard, runs)  # warm-up
                    loads = [dashboard_seconds(page, dashboard, runs) for _ in range(args.repeat)]
                    ready_s = sorted(r for r, _ in loads)[len(loads) // 2]
                    in_page_listing_s = sorted(t for _, t in loads)[len(loads) // 2]
                    sorts = []
                    for _ in range(args.repeat):
                        sorts.append(sort_seconds(page, "m:metric_04:last"))
                    sort_s = sorted(sorts)[len(sorts) // 2]
                    dom_rows = most_rows_while_scrolling(page)
                    context.close()
                    rows = [
                        Row(
                            f"dashboard of {runs:,} runs x {METRICS} metrics: rows shown",
                            ready_s,
                            "s",
                            INTERACTIVE_TARGET_S,
                            "listing request alone (Python)",
                            listing_s,
                        ),
                        Row(
                            f"sort {runs:,} runs by a metric (click to new first row)",
                            sort_s,
                            "s",
                        ),
                        Row(
                            f"rows in the page while scrolling {runs:,}",
                            dom_rows,
                            "rows",
                            DOM_ROWS_TARGET,
                        ),
                        *chart_rows(browser, server.url, charts, args.repeat),
                    ]
                finally:
                    browser.close()
            sent, plain = first_load_bytes(server.url)
            rows.append(
                Row(
                    "first load: JavaScript + CSS, gzipped",
                    sent / 1024,
                    "KB",
                    FIRST_LOAD_TARGET_KB,
                    "the same unzipped",
                    plain / 1024,
                )
            )
        finally:
            server.stop()
    print_table(
        f"Studio in chromium (median of {args.repeat})",
        rows,
        [
            f"Of the dashboard's time, the listing request inside the page took "
            f"{in_page_listing_s:.3f} s (transfer and the server's work).",
            "Compared with MLflow's UI on the same data: not done.",
            f"Measured {time.strftime('%Y-%m-%d')}.",
        ],
    )


if __name__ == "__main__":
    main()
