"""The run page in a real browser against a real server: every metric kind is drawn with the
SDK's numbers, a live run updates without a reload, tags edited in the studio are the SDK's,
cancel works, and a chart zooms by asking the server for the range."""

from __future__ import annotations

import io
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from runhistory import Experiment, Run, Workspace
from runhistory.store.base import LogAppend, WriteBatch

from .conftest import Studio, screenshots_folder

expect = pytest.importorskip("playwright.sync_api").expect
Page = Any

PNG_STEPS = 3
CONFUSION = {"data": {"class_labels": ["cat", "dog"], "matrix": [[5, 1], [2, 7]]}}
ACCURACY = {
    "data": {
        "class_labels": ["cat", "dog"],
        "probability_thresholds": [0.0, 0.5, 1.0],
        "percentile_thresholds": [0, 50, 100],
        "probability_tables": [
            [[5, 5, 0, 0], [4, 1, 4, 1], [0, 0, 5, 5]],
            [[5, 5, 0, 0], [3, 2, 3, 2], [0, 0, 5, 5]],
        ],
        "percentile_tables": [
            [[5, 5, 0, 0], [4, 1, 4, 1], [0, 0, 5, 5]],
            [[5, 5, 0, 0], [3, 2, 3, 2], [0, 0, 5, 5]],
        ],
    }
}
RESIDUALS = {"data": {"bin_edges": [-1.0, 0.0, 1.0, 2.0], "bin_counts": [3, 10, 4]}}
PREDICTIONS = {
    "data": {
        "bin_edges": [0.0, 1.0, 2.0],
        "bin_counts": [3, 4],
        "bin_averages": [0.5, 1.5],
        "bin_errors": [0.1, 0.2],
    }
}


@pytest.fixture(scope="module")
def workspace(studio: Studio) -> Iterator[Workspace]:
    """The SDK over the studio's server: what it logs, the studio shows."""
    opened = studio.workspace()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def every_kind(workspace: Workspace) -> Run:
    """A finished run that logged every metric kind, images over steps, files and a child."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Experiment(workspace, "studio-run").start_logging(
        snapshot_directory=None, outputs=None, display_name="every-kind", tags={"model": "mlp"}
    )
    for i in range(5_000):
        run.log("loss", math.exp(-i / 900) + 0.05 * math.sin(i / 7))
    for i in range(40):
        run.log("accuracy", 1 - math.exp(-i / 10), step=i * 10)
    run.log("note", "converged")
    run.log_list("val_losses", [0.8, 0.6, 0.4])
    run.log_row("pr", precision=0.5, recall=0.4)
    run.log_row("pr", precision=0.7, recall=0.6)
    run.log_table("folds", {"fold": [0, 1, 2], "score": [0.7, 0.8, 0.75]})
    run.log_confusion_matrix("confusion", CONFUSION)
    run.log_accuracy_table("accuracy_table", ACCURACY)
    run.log_residuals("residuals", RESIDUALS)
    run.log_predictions("predictions", PREDICTIONS)
    for step in range(PNG_STEPS):
        figure = plt.figure(figsize=(2, 2))
        plt.plot([0, step + 1])
        run.log_image("curve", plot=figure)
        plt.close(figure)
    run.upload_file("outputs/scores.csv", io.BytesIO(b"epoch,score\n1,0.5\n2,0.75\n"))
    run.upload_file("outputs/config.json", io.BytesIO(b'{"layers": [64, 32]}'))
    child = run.child_run(name="fold-0")
    child.log("loss", 0.25)
    child.complete()
    run.add_properties({"dataset": "v1"})
    run.complete()
    return run


def open_run(page: Page, studio: Studio, run: Run, query: str = "") -> None:
    page.goto(f"{studio.url}/runs/{run.id}{query}")
    expect(page.locator(".run-page")).to_have_attribute("data-run", run.id)


def card(page: Page, name: str) -> Any:
    return page.locator(f'.metric-card[data-metric="{name}"]')


def test_every_metric_kind_is_drawn_with_the_sdks_numbers(
    page: Page, studio: Studio, every_kind: Run
) -> None:
    metrics = every_kind.get_metrics()
    open_run(page, studio, every_kind, "?tab=metrics")
    folder = screenshots_folder()
    if folder is not None:
        expect(card(page, "accuracy").locator("canvas").first).to_be_visible()
        page.screenshot(path=str(folder / "run-metrics.png"))
    for name, values in (("loss", metrics["loss"]), ("val_losses", metrics["val_losses"])):
        facts = card(page, name)
        facts.scroll_into_view_if_needed()
        assert float(facts.locator(".metric-last").inner_text()) == values[-1]
        assert float(facts.locator(".metric-min").inner_text()) == min(values)
        assert float(facts.locator(".metric-max").inner_text()) == max(values)
        assert int(facts.locator(".metric-count").inner_text()) == len(values)
        expect(facts.locator("canvas").first).to_be_visible()
    loss = card(page, "loss")
    # Drawn from the server's buckets, not the raw series: fewer buckets than points.
    drawn = loss.locator("[data-count]")
    assert int(drawn.get_attribute("data-count") or 0) == 5_000
    assert int(drawn.get_attribute("data-buckets") or 0) <= 1_000
    card(page, "note").scroll_into_view_if_needed()
    expect(card(page, "note")).to_contain_text(metrics["note"])

    pr = card(page, "pr")
    pr.scroll_into_view_if_needed()
    rows = pr.locator("table.data-grid tbody tr")
    expect(rows).to_have_count(2)
    assert rows.nth(1).locator("td").all_inner_texts() == ["1", "0.7", "0.6"]
    assert metrics["pr"] == {"precision": [0.5, 0.7], "recall": [0.4, 0.6]}
    expect(pr.locator("canvas").first).to_be_visible()
    folds = card(page, "folds")
    folds.scroll_into_view_if_needed()
    expect(folds.locator("table.data-grid tbody tr")).to_have_count(3)

    confusion = card(page, "confusion")
    confusion.scroll_into_view_if_needed()
    cells = confusion.locator("table.heat-map tbody td")
    expect(cells).to_have_count(4)
    assert [int(c) for c in cells.all_inner_texts()] == [5, 1, 2, 7]
    table = card(page, "accuracy_table")
    table.scroll_into_view_if_needed()
    expect(table.locator('[aria-label="ROC curve"] canvas')).to_be_visible()
    expect(table.locator('[aria-label="precision-recall curve"] canvas')).to_be_visible()
    for name, document in (("residuals", RESIDUALS), ("predictions", PREDICTIONS)):
        histogram = card(page, name)
        histogram.scroll_into_view_if_needed()
        counts = document["data"]["bin_counts"]
        expect(histogram.locator("svg rect")).to_have_count(len(counts))
        expect(histogram).to_contain_text(f"{len(counts)} bins, {sum(counts)} values")


def test_images_overview_children_and_files(page: Page, studio: Studio, every_kind: Run) -> None:
    open_run(page, studio, every_kind, "?tab=images")
    image = page.locator('.image-card[data-metric="curve"] img')
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    slider = page.get_by_label("image step")
    slider.fill("0")
    expect(page.locator(".image-step")).to_have_text("0")
    expect(page.locator(".image-card figcaption")).to_contain_text("step 0")

    page.get_by_role("tab", name="overview").click()
    expect(page.locator('[data-fact="Status"]')).to_contain_text("Completed")
    expect(page.locator(".properties")).to_contain_text("dataset")

    page.get_by_role("tab", name="children").click()
    (child,) = every_kind.get_children()
    row = page.locator(f'tr[data-run="{child.id}"]')
    expect(row.locator('td[data-metric="loss"]')).to_have_text("0.25")
    expect(row).to_contain_text("Completed")

    page.get_by_role("tab", name="files").click()
    page.get_by_role("button", name="scores.csv").click()
    expect(page.locator("table.csv tbody tr")).to_have_count(2)
    assert page.locator("table.csv thead th").all_inner_texts() == ["epoch", "score"]
    page.get_by_role("button", name="config.json").click()
    expect(page.locator(".preview-text")).to_contain_text('"layers"')
    download = page.get_by_role("link", name="Download")
    assert download.get_attribute("href", timeout=5_000).endswith("outputs/config.json")


def test_a_failed_run_shows_its_error_and_traceback(
    page: Page, studio: Studio, workspace: Workspace
) -> None:
    run = Experiment(workspace, "studio-run").start_logging(snapshot_directory=None, outputs=None)
    with pytest.raises(ValueError), run:
        raise ValueError("the data ran out")
    open_run(page, studio, run)
    expect(page.locator(".run-error")).to_contain_text("ValueError")
    expect(page.locator(".run-error")).to_contain_text("the data ran out")
    expect(page.locator(".traceback")).to_contain_text("Traceback")


def test_a_live_run_shows_new_points_log_lines_and_its_end_without_a_reload(
    page: Page, studio: Studio, workspace: Workspace
) -> None:
    run = Experiment(workspace, "studio-run").start_logging(snapshot_directory=None, outputs=None)
    for i in range(10):
        run.log("loss", 1.0 / (i + 1))
    run.flush()
    open_run(page, studio, run, "?tab=metrics")
    loss = card(page, "loss")
    expect(loss.locator(".metric-count")).to_have_text("10")
    expect(loss.locator("[data-count]")).to_have_attribute("data-count", "10")
    page.evaluate("window.__notReloaded = true")

    for i in range(10, 25):
        run.log("loss", 1.0 / (i + 1))
    # No flush: the SDK's writer sends them within its interval (1 s), as a training loop's are.
    logged = time.monotonic()
    expect(loss.locator("[data-count]")).to_have_attribute("data-count", "25", timeout=2_000)
    assert time.monotonic() - logged < 2.0
    expect(loss.locator(".metric-count")).to_have_text("25")
    assert float(loss.locator(".metric-last").inner_text()) == run.get_metrics()["loss"][-1]

    page.get_by_role("tab", name="logs").click()
    stream = "logs/std_log.txt"
    workspace.store.append(WriteBatch(logs=[LogAppend(run.id, stream, time.time(), "epoch 1\n")]))
    expect(page.locator(".log-text")).to_have_text("epoch 1\n", timeout=2_000)
    workspace.store.append(WriteBatch(logs=[LogAppend(run.id, stream, time.time(), "epoch 2\n")]))
    expect(page.locator(".log-text")).to_have_text("epoch 1\nepoch 2\n", timeout=2_000)

    run.complete()
    expect(page.get_by_test_id("run-status")).to_have_text("Completed", timeout=2_000)
    assert page.evaluate("window.__notReloaded") is True


def test_tags_edited_in_the_studio_are_the_sdks(
    page: Page, studio: Studio, workspace: Workspace
) -> None:
    run = Experiment(workspace, "studio-run").start_logging(
        snapshot_directory=None, outputs=None, tags={"model": "mlp", "draft": None}
    )
    open_run(page, studio, run)
    page.get_by_label("new tag name").fill("reviewed")
    page.get_by_label("new tag value").fill("yes")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator('.tag[data-tag="reviewed"]')).to_contain_text("yes")
    page.locator('.tag[data-tag="model"] .tag-chip').click()
    page.get_by_label("value of tag model").fill("cnn")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('.tag[data-tag="model"]')).to_contain_text("cnn")
    page.get_by_label("remove tag draft").click()
    expect(page.locator('.tag[data-tag="draft"]')).to_have_count(0)
    assert run.get_tags() == {"model": "cnn", "reviewed": "yes"}
    run.complete()


def test_cancel_from_the_studio(page: Page, studio: Studio, workspace: Workspace) -> None:
    run = Experiment(workspace, "studio-run").start_logging(snapshot_directory=None, outputs=None)
    open_run(page, studio, run)
    expect(page.get_by_test_id("run-status")).to_have_text("Running")
    page.get_by_role("button", name="Cancel run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("Canceled")
    expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    assert run.get_status() == "Canceled"


def hover(page: Page, tip: Any, box: dict[str, float], where: float) -> None:
    """Move the mouse over a chart until its hover box shows (the chart may still be drawing)."""
    for attempt in range(20):
        x = box["x"] + box["width"] * (where + attempt % 2 * 0.01)
        page.mouse.move(x, box["y"] + box["height"] * 0.5)
        if tip.is_visible():
            return
        page.wait_for_timeout(100)
    expect(tip).to_be_visible()


def test_zoom_hover_and_chart_settings_live_in_the_url(
    page: Page, studio: Studio, every_kind: Run
) -> None:
    open_run(page, studio, every_kind, "?tab=metrics")
    loss = card(page, "loss")
    over = loss.locator(".u-over")
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    assert box is not None
    tip = loss.locator(".chart-tip")
    hover(page, tip, box, 0.5)
    expect(tip).to_contain_text("every-kind")
    expect(tip).to_contain_text("step")
    # Drag over about a tenth of the chart: the server sends that range, every point of it.
    page.mouse.move(box["x"] + box["width"] * 0.40, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    page.wait_for_url("**zoom=*")
    first, last = (int(s) for s in page.url.split("zoom=")[1].split("&")[0].split("%3A"))
    assert 0 < first < last < 4_999
    drawn = loss.locator("[data-count]")
    expect(drawn).to_have_attribute("data-count", str(last - first + 1))
    assert drawn.get_attribute("data-buckets") == str(last - first + 1)  # full resolution
    page.reload()
    card(page, "loss").scroll_into_view_if_needed()
    expect(card(page, "loss").locator("[data-count]")).to_have_attribute(
        "data-count", str(last - first + 1)
    )
    page.get_by_role("button", name="Reset zoom").click()
    expect(card(page, "loss").locator("[data-count]")).to_have_attribute("data-count", "5000")

    open_run(page, studio, every_kind, "?tab=metrics&smooth=0.9&log=1&x=relative")
    expect(page.get_by_label("x axis")).to_have_value("relative")
    expect(page.get_by_label("log scale")).to_be_checked()
    expect(page.locator(".smoothing-value")).to_have_text("0.90")
    loss = card(page, "loss")
    loss.locator(".u-over").scroll_into_view_if_needed()
    box = loss.locator(".u-over").bounding_box()
    assert box is not None
    hover(page, loss.locator(".chart-tip"), box, 0.6)
    expect(loss.locator(".chart-tip")).to_contain_text("raw")  # the raw line beside the smoothed

    # Another metric of the run as the x axis: loss against accuracy.
    page.get_by_label("x axis").select_option("metric:accuracy")
    assert "x=metric%3Aaccuracy" in page.url
    loss.locator(".u-over").scroll_into_view_if_needed()
    box = loss.locator(".u-over").bounding_box()
    assert box is not None
    hover(page, loss.locator(".chart-tip"), box, 0.3)
    expect(loss.locator(".chart-tip-x")).to_contain_text("accuracy 0.")


def test_child_runs_overlaid_grouped_and_opened_by_a_click(
    page: Page, studio: Studio, workspace: Workspace
) -> None:
    parent = Experiment(workspace, "studio-run").start_logging(
        snapshot_directory=None, outputs=None, display_name="sweep"
    )
    children = {}
    for i, rate in enumerate(["a", "a", "b", "b"]):
        child = parent.child_run(name=f"trial-{i}")
        child.tag("lr", rate)
        for _ in range(50):
            child.log("loss", float(i + 1))  # flat lines at 1, 2, 3 and 4
        child.complete()
        children[f"trial-{i}"] = child.id
    parent.complete()
    open_run(page, studio, parent, "?tab=children")
    chart = page.locator(".children-chart .chart")
    expect(chart).to_have_attribute("data-lines", "4")
    for child_id in children.values():
        cell = page.locator(f'tr[data-run="{child_id}"] td[data-metric="loss"]')
        expect(cell).not_to_be_empty()
        logged = Run.get(workspace, child_id).get_metrics()["loss"]
        assert float(cell.inner_text()) == logged[-1]

    over = chart.locator(".u-over")
    box = over.bounding_box()
    assert box is not None
    tip = chart.locator(".chart-tip")
    hover(page, tip, box, 0.5)
    for name in children:
        expect(tip).to_contain_text(name)
    focused = tip.locator(".chart-tip-row.focused")
    for tenth in range(1, 10):  # down the chart until a line is under the mouse
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * tenth / 10)
        if focused.count():
            break
    name = focused.locator(".chart-tip-name").inner_text()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * tenth / 10)
    page.wait_for_url(f"**/runs/{children[name]}**")

    open_run(page, studio, parent, "?tab=children")
    page.get_by_label("group by").select_option("tags.lr")
    expect(chart).to_have_attribute("data-lines", "2")
    assert "group=tags.lr" in page.url
    hover(page, tip, box, 0.5)
    expect(tip).to_contain_text("lr=a")
    expect(tip).to_contain_text("(2 runs)")
    # The mean of trials 0 and 1 (1 and 2), and of 2 and 3.
    expect(tip).to_contain_text("1.5")
    expect(tip).to_contain_text("3.5")


def test_hundreds_of_metrics_are_searched_paged_and_mounted_on_screen_only(
    page: Page, studio: Studio, workspace: Workspace
) -> None:
    run = Experiment(workspace, "studio-run").start_logging(snapshot_directory=None, outputs=None)
    for step in range(5):
        run.log_metrics({f"layer{i:03d}/grad_norm": float(step * i) for i in range(300)})
    run.complete()
    open_run(page, studio, run, "?tab=metrics")
    cards = page.locator(".metric-card")
    expect(cards).to_have_count(24)  # a page of them
    expect(page.locator(".metric-search")).to_contain_text("300 of 300")
    # Only the charts near the screen are mounted (and fetched).
    expect(cards.first.locator("canvas").first).to_be_visible()
    assert page.locator(".metric-card canvas").count() < 24 * 2
    mounted = page.locator(".metric-card .chart").count()
    assert 0 < mounted < 24
    page.get_by_role("button", name="Show 24 more of 276").click()
    expect(cards).to_have_count(48)
    page.get_by_label("search metrics").fill("layer29")
    expect(cards).to_have_count(10)
    expect(page.locator(".metric-search")).to_contain_text("10 of 300")
    last = card(page, "layer299/grad_norm")
    last.scroll_into_view_if_needed()
    assert float(last.locator(".metric-last").inner_text()) == 4 * 299.0
