"""The experiment dashboard: the table's numbers are the SDK's, sort, filters and columns live in
the URL and survive a reload, a status changes without a reload, and a long table keeps few rows
in the page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from runhistory import Experiment, Run

from .conftest import LEARNING_RATES, Studio

expect = pytest.importorskip("playwright.sync_api").expect


def dashboard(studio: Studio, query: str = "") -> str:
    return f"{studio.url}/experiments/e2e-sweep{query}"


def cell(page: Any, run_id: str, column: str) -> Any:
    return page.locator(f"tr[data-run='{run_id}'] td[data-column='{column}']")


def shown_names(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("tbody tr td.name a").all_inner_texts()]


def test_metric_columns_show_the_sdks_numbers(studio: Studio, page: Any) -> None:
    assert studio.seeded is not None
    page.goto(dashboard(studio, "?cols=number,name,status,m:loss:last,m:loss:min,m:accuracy:last"))
    workspace = studio.workspace()
    try:
        for run_id in studio.seeded.runs.values():
            metrics = Run.get(workspace, run_id).get_metrics()
            losses = metrics["loss"]
            expect(cell(page, run_id, "m:loss:last")).to_have_text(_number(losses[-1]))
            expect(cell(page, run_id, "m:loss:min")).to_have_text(_number(min(losses)))
            expect(cell(page, run_id, "m:accuracy:last")).to_have_text(_number(metrics["accuracy"]))
            expect(cell(page, run_id, "status")).to_have_text("Completed")
        expect(cell(page, studio.seeded.failed, "status")).to_have_text("Failed")
    finally:
        workspace.close()


def _number(value: float) -> str:
    return str(float(f"{value:.6g}")).removesuffix(".0")


def test_sort_filters_and_columns_survive_a_reload(studio: Studio, page: Any) -> None:
    page.goto(dashboard(studio))
    expect(page.locator(".run-counts")).to_have_text("10 runs")
    # Columns: add loss (min) through the chooser, move it first.
    page.get_by_role("button", name=re.compile(r"^Columns")).click()
    page.locator(".metric-choice", has_text="loss").get_by_label("min").check()
    chosen = page.locator(".popover li")
    for _ in range(chosen.count() - 1):
        page.get_by_role("button", name="Move m:loss:min left").click()
    page.get_by_role("button", name="Done").click()
    # Sort by it, ascending.
    page.locator("button.sort[data-column='m:loss:min']").click()
    # Filters: completed runs only, with an expression on the metric and a tag.
    page.get_by_role("checkbox", name="Completed").check()
    page.get_by_label("Filter expression").fill("metrics.loss < 0.5 and tags.optimizer = 'adam'")
    page.get_by_role("button", name="Filter", exact=True).click()
    expected = sorted(
        (rate for i, rate in enumerate(LEARNING_RATES) if i % 2 and _last_loss(rate) < 0.5),
        key=_min_loss,
    )
    want = [f"lr={rate}" for rate in expected]
    expect(page.locator(".run-counts")).to_have_text(f"{len(want)} of 10 runs")
    assert shown_names(page) == want
    headers = page.locator("thead th button.sort").all_inner_texts()
    assert headers[0].startswith("loss (min)")
    url = page.url
    page.reload()
    expect(page.locator(".run-counts")).to_have_text(f"{len(want)} of 10 runs")
    assert page.url == url
    assert shown_names(page) == want
    assert page.locator("thead th button.sort").all_inner_texts()[0].startswith("loss (min)")
    expect(page.get_by_role("checkbox", name="Completed")).to_be_checked()
    expect(page.get_by_label("Filter expression")).to_have_value(
        "metrics.loss < 0.5 and tags.optimizer = 'adam'"
    )
    # Descending on a second click.
    page.locator("button.sort[data-column='m:loss:min']").click()
    assert shown_names(page) == list(reversed(want))


def _losses(rate: float) -> list[float]:
    return [round(1.0 / (1 + rate * 10 * (step + 1)), 6) for step in range(20)]


def _last_loss(rate: float) -> float:
    return _losses(rate)[-1]


def _min_loss(rate: float) -> float:
    return min(_losses(rate))


def test_a_bad_expression_says_what_is_wrong(studio: Studio, page: Any) -> None:
    page.goto(dashboard(studio, "?q=loss+%3C+1"))
    expect(page.locator(".filter-error")).to_contain_text("cannot read 'loss < 1'")


def test_a_status_change_shows_without_a_reload(studio: Studio, page: Any) -> None:
    workspace = studio.workspace()
    experiment = Experiment(workspace, "e2e-live")
    first = experiment.start_logging(snapshot_directory=None, outputs=None, display_name="first")
    first.complete()
    try:
        page.goto(f"{studio.url}/experiments/e2e-live?cols=name,status,m:step:last")
        expect(page.locator(".run-counts")).to_have_text("1 runs")
        page.evaluate("window.__marker = 'same page'")
        live = experiment.start_logging(snapshot_directory=None, outputs=None, display_name="live")
        expect(page.locator(f"tr[data-run='{live.id}'] td[data-column='status']")).to_have_text(
            "Running", timeout=5000
        )
        live.log("step", 7)
        live.flush()
        expect(cell(page, live.id, "m:step:last")).to_have_text("7", timeout=5000)
        live.complete()
        expect(cell(page, live.id, "status")).to_have_text("Completed", timeout=5000)
        assert page.evaluate("window.__marker") == "same page"
    finally:
        workspace.close()


def test_an_unknown_experiment_says_not_found(studio: Studio, page: Any) -> None:
    page.goto(f"{studio.url}/experiments/no-such-experiment")
    expect(page.get_by_role("alert")).to_contain_text("Not found")


def test_a_chart_of_a_metric_across_runs(studio: Studio, page: Any) -> None:
    page.goto(dashboard(studio))
    page.get_by_label("Add a chart").select_option("loss")
    expect(page).to_have_url(re.compile(r"charts=loss"))
    expect(page.locator(".chart-card[data-chart='loss'] canvas").first).to_be_visible()
