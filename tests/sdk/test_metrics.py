"""Every metric kind through the public API, and the shapes ``get_metrics`` returns (SPEC 2.1)."""

from __future__ import annotations

import json
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from runhistory import Experiment, Run
from runhistory.errors import MetricKindError, NotFoundError
from runhistory.store.base import RunQuery


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid PNG, written without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_scalar_one_value_is_the_value_and_many_are_a_list(run: Run) -> None:
    run.log("accuracy", 0.9)
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.log("loss", 0.125)
    assert run.get_metrics() == {"accuracy": 0.9, "loss": [0.5, 0.25, 0.125]}


def test_scalar_types_round_trip(run: Run) -> None:
    values = [1, 2.5, "text", True, None, 2**70, -3]
    for value in values:
        run.log("mixed", value)
    run.log("ints", 3)
    run.log("ints", 4)
    run.log("bools", True)
    run.log("bools", False)
    metrics = run.get_metrics()
    assert metrics["mixed"] == values
    assert [type(v) for v in metrics["mixed"]] == [type(v) for v in values]
    assert metrics["ints"] == [3, 4] and all(type(v) is int for v in metrics["ints"])
    assert metrics["bools"] == [True, False] and all(type(v) is bool for v in metrics["bools"])


def test_list_appends_every_value_and_accepts_generators(run: Run) -> None:
    run.log_list("errors", [0.1, 0.2])
    run.log_list("errors", (x / 10 for x in range(3, 5)))
    run.log_list("empty", [])
    run.log_list("single", [7])
    metrics = run.get_metrics()
    assert metrics["errors"] == [0.1, 0.2, 0.3, 0.4]
    assert metrics["single"] == 7
    assert "empty" not in metrics


def test_row_one_row_is_a_dict_of_values(run: Run) -> None:
    run.log_row("point", x=1, y=2.5)
    assert run.get_metrics() == {"point": {"x": 1, "y": 2.5}}


def test_rows_many_are_a_dict_of_lists_with_gaps_as_none(run: Run) -> None:
    run.log_row("curve", epoch=1, loss=0.5)
    run.log_row("curve", epoch=2, loss=0.4)
    run.log_row("curve", epoch=3, loss=0.3, lr=0.01)
    assert run.get_metrics("curve") == {
        "curve": {"epoch": [1, 2, 3], "loss": [0.5, 0.4, 0.3], "lr": [None, None, 0.01]}
    }


def test_table_appends_columns_and_scalars_count_as_one_row(run: Run) -> None:
    run.log_table("roc", {"fpr": [0.0, 0.5, 1.0], "tpr": [0.0, 0.8, 1.0]})
    run.log_table("roc", {"fpr": np.array([1.0]), "tpr": [1.0]})
    run.log_table("one", {"a": 1, "b": "x"})
    metrics = run.get_metrics()
    assert metrics["roc"] == {"fpr": [0.0, 0.5, 1.0, 1.0], "tpr": [0.0, 0.8, 1.0, 1.0]}
    assert metrics["one"] == {"a": 1, "b": "x"}


def test_image_from_a_path_and_from_a_figure(run: Run, tmp_path: Path) -> None:
    image = tmp_path / "plot.png"
    image.write_bytes(png_bytes())
    run.log_image("picture", path=image)
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure = pyplot.figure()
    pyplot.plot([1, 2, 3])
    run.log_image("figure", plot=figure)
    run.log_image("module", plot=pyplot)
    pyplot.close("all")

    metrics = run.get_metrics()
    assert metrics["picture"].startswith(f"runhistory://runs/{run.id}/images/")
    files = run.get_file_names()
    assert sum(name.startswith("images/") for name in files) == 3
    populated = run.get_metrics(populate=True)
    assert populated["picture"] == png_bytes()
    assert populated["figure"].startswith(b"\x89PNG")


def test_images_logged_twice_are_a_list(run: Run, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(png_bytes())
    run.log_image("samples", path=image)
    run.log_image("samples", path=image)
    assert len(run.get_metrics()["samples"]) == 2


@pytest.mark.parametrize(
    ("call", "value"),
    [
        (
            "log_confusion_matrix",
            {"data": {"class_labels": ["a", "b"], "matrix": [[3, 1], [0, 4]]}},
        ),
        (
            "log_accuracy_table",
            {
                "data": {
                    "probability_tables": [[[1, 0, 0, 1]]],
                    "percentile_tables": [[[1, 0, 0, 1]]],
                }
            },
        ),
        ("log_residuals", {"data": {"bin_edges": [0, 1, 2], "bin_counts": [3, 4]}}),
        (
            "log_predictions",
            json.dumps(
                {
                    "data": {
                        "bin_averages": [1],
                        "bin_errors": [0.1],
                        "bin_counts": [2],
                        "bin_edges": [0, 1],
                    }
                }
            ),
        ),
    ],
)
def test_json_kinds_are_references_and_populate_to_their_content(
    run: Run, call: str, value: object
) -> None:
    getattr(run, call)("chart", value)
    reference = run.get_metrics()["chart"]
    assert reference.startswith(f"runhistory://runs/{run.id}/metrics/")
    content = run.get_metrics(populate=True)["chart"]
    expected = json.loads(value) if isinstance(value, str) else value
    assert content["schema_type"] == call.removeprefix("log_")
    assert content["data"] == expected["data"]


def test_name_selects_one_metric_or_nothing(run: Run) -> None:
    run.log("a", 1)
    run.log("b", 2)
    assert run.get_metrics(name="a") == {"a": 1}
    assert run.get_metrics(name="missing") == {}


def test_recursive_covers_the_run_and_all_descendants(run: Run) -> None:
    run.log("level", 0)
    child = run.child_run("child")
    child.log("level", 1)
    grandchild = child.child_run("grandchild")
    grandchild.log("level", 2)
    result = run.get_metrics(recursive=True)
    assert result == {run.id: {"level": 0}, child.id: {"level": 1}, grandchild.id: {"level": 2}}
    assert run.get_metrics(name="level", recursive=True)[grandchild.id] == {"level": 2}


def test_kind_is_fixed_by_first_use(run: Run) -> None:
    run.log("loss", 0.5)
    with pytest.raises(MetricKindError, match=r"'loss'.*scalar.*log_list"):
        run.log_list("loss", [1, 2])
    run.log_row("row", a=1)
    with pytest.raises(MetricKindError, match="log_table"):
        run.log_table("row", {"a": [1]})
    assert run.get_metrics() == {"loss": 0.5, "row": {"a": 1}}


def test_kind_is_fixed_across_run_objects(experiment: Experiment, run: Run) -> None:
    run.log("loss", 0.5)
    run.flush()
    same = Run(experiment, run.id)
    with pytest.raises(MetricKindError):
        same.log_list("loss", [1.0])


def test_steps_given_are_kept_and_a_missing_step_follows_the_last(run: Run) -> None:
    run.log("lr", 0.1, step=10)
    run.log("lr", 0.05, step=20)
    run.log("lr", 0.01)
    history = run.get_metric_history("lr")
    assert history.steps.tolist() == [10, 20, 21]
    assert history.values.tolist() == [0.1, 0.05, 0.01]


def test_implicit_steps_count_from_zero_across_flushes(run: Run) -> None:
    for value in range(5):
        run.log("x", float(value))
        run.flush()
    run.log("x", 5.0)
    history = run.get_metric_history("x")
    assert history.steps.tolist() == [0, 1, 2, 3, 4, 5]
    assert history.values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert np.all(np.diff(history.timestamps) >= 0)


def test_log_metrics_logs_many_scalars_at_one_step(run: Run) -> None:
    for step in range(3):
        run.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step * 100)
    run.log_metrics({"loss": 0.1})
    loss = run.get_metric_history("loss")
    assert loss.steps.tolist() == [0, 100, 200, 201]
    acc = run.get_metric_history("acc")
    assert acc.steps.tolist() == [0, 100, 200]
    assert np.array_equal(loss.timestamps[:3], acc.timestamps)


def test_history_of_a_large_series_round_trips_across_chunks(run: Run) -> None:
    values = np.random.default_rng(0).random(50_000)
    for value in values.tolist():
        run.log("noise", value)
    run.flush()
    for value in values[:10].tolist():  # merges into the partly filled last chunk
        run.log("noise", value)
    history = run.get_metric_history("noise")
    assert len(history) == 50_010
    assert np.array_equal(history.values, np.concatenate([values, values[:10]]))
    assert history.steps.tolist() == list(range(50_010))


def test_history_of_unknown_metric_names_what_exists(run: Run) -> None:
    run.log("loss", 1.0)
    with pytest.raises(NotFoundError, match=r"'accuracy'.*loss"):
        run.get_metric_history("accuracy")


def test_another_process_view_sees_flushed_points(experiment: Experiment, run: Run) -> None:
    run.log("x", 1.0)
    run.flush()
    assert Run(experiment, run.id).get_metrics() == {"x": 1.0}


def test_summaries_keep_count_last_min_and_max(experiment: Experiment, run: Run) -> None:
    for value in [3.0, math.nan, -1.0, 7.0, 2.0]:
        run.log("loss", value)
    run.log("name", "final")
    run.flush()
    (record,) = experiment.workspace.store.list_runs(RunQuery(experiment_id=experiment.id))
    loss = record.metrics["loss"]
    assert (loss.count, loss.last, loss.minimum, loss.maximum, loss.last_step) == (
        5,
        2.0,
        -1.0,
        7.0,
        4,
    )
    assert record.metrics["name"].last == "final"
    assert record.metrics["name"].minimum is None


def test_metrics_frame(run: Run) -> None:
    pytest.importorskip("pandas")
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.log_list("acc", [0.1])
    frame = run.get_metrics_frame()
    assert sorted(frame["metric"].unique()) == ["acc", "loss"]
    assert frame[frame.metric == "loss"]["value"].tolist() == [0.5, 0.25]


def test_logging_into_a_completed_run_is_stored(experiment: Experiment, run: Run) -> None:
    run.complete()
    later = Run(experiment, run.id)
    later.log("evaluated", 0.75)
    later.flush()
    assert Run(experiment, run.id).get_metrics() == {"evaluated": 0.75}


def test_descriptions_are_kept(run: Run) -> None:
    run.log("loss", 0.5, description="training loss")
    run.flush()
    (data,) = run._store.read_metrics(run.id, ["loss"])
    assert data.description == "training loss"


def test_log_and_log_metrics_interleaved_keep_logging_order(run: Run) -> None:
    run.log("loss", 1.0)
    run.log_metrics({"loss": 2.0, "acc": 0.1})
    run.log("loss", 3.0)
    run.log_metrics({"loss": 4.0}, step=10)
    run.log("loss", 5.0)
    run.flush()
    run.log_metrics({"acc": 0.2, "loss": 6.0})
    loss = run.get_metric_history("loss")
    assert loss.values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert loss.steps.tolist() == [0, 1, 2, 10, 11, 12]
    assert run.get_metrics()["acc"] == [0.1, 0.2]


def test_log_metrics_with_changing_names_and_types(run: Run) -> None:
    run.log_metrics({"a": 1, "b": 2.5})
    run.log_metrics({"a": 3})
    run.log_metrics({"b": True, "a": 5})
    run.log_metrics({"c": "text", "a": 6}, step=7)
    metrics = run.get_metrics()
    assert metrics == {"a": [1, 3, 5, 6], "b": [2.5, True], "c": "text"}
    assert run.get_metric_history("a").steps.tolist() == [0, 1, 2, 7]


def test_log_metrics_copies_the_dict(run: Run) -> None:
    values = {"x": 1.0}
    run.log_metrics(values)
    values["x"] = 2.0
    run.log_metrics(values)
    assert run.get_metrics() == {"x": [1.0, 2.0]}


def test_long_log_metrics_blocks_keep_values_types_and_order(run: Run) -> None:
    for step in range(300):  # long enough to become numpy columns when stored
        run.log_metrics({"loss": 1.0 / (step + 1), "lr": 0.5})
    run.log("loss", 7.0)  # settles the waiting block into the series first
    for step in range(300):  # ints among the values: stays Python values, ints stay ints
        run.log_metrics({"epoch": step, "loss": 0.25})
    metrics = run.get_metrics()
    assert metrics["loss"] == [1.0 / (s + 1) for s in range(300)] + [7.0] + [0.25] * 300
    assert metrics["epoch"] == list(range(300)) and all(type(v) is int for v in metrics["epoch"])
    assert run.get_metric_history("loss").steps.tolist() == list(range(601))


def test_log_metrics_layouts_stay_apart_across_flushes(run: Run) -> None:
    """Reordered and alternating layouts, blocks long enough to become numpy columns, and
    flushes that leave partial chunks (tails) to merge: each metric keeps its own points."""
    names = [f"m{j}" for j in range(12)]
    expected: dict[str, list[float]] = {name: [] for name in [*names, "val"]}
    expected_steps: dict[str, list[int]] = {name: [] for name in expected}
    for step in range(9_000):
        values = {name: step + j / 100 for j, name in enumerate(names)}
        if step % 3 == 0:
            values = dict(reversed(values.items()))  # the same names in another order
        if step % 500 == 0:
            values["val"] = -float(step)
        run.log_metrics(values, step=step)
        for name, value in values.items():
            expected[name].append(value)
            expected_steps[name].append(step)
        if step in (1_000, 4_321):
            run.flush()
    run.flush()
    times = {}
    for name in expected:
        history = run.get_metric_history(name)
        assert history.values.tolist() == expected[name], name
        assert history.steps.tolist() == expected_steps[name], name
        times[name] = history.timestamps
        assert np.all(np.diff(history.timestamps) >= 0)
    # Metrics logged in the same calls share their timestamps.
    assert all(np.array_equal(times[name], times["m0"]) for name in names)


def test_a_wide_run_keeps_every_summary_when_a_batch_touches_a_few(run: Run) -> None:
    names = [f"metric_{i:04d}" for i in range(1_200)]  # more names than one lookup query takes
    run.log_metrics({name: float(i) for i, name in enumerate(names)}, step=0)
    run.flush()
    run.log("metric_0001", 5.0)  # an existing float
    run.log("metric_0700", "text")  # an existing metric whose last value becomes a string
    run.log("brand_new", 7)
    run.flush()
    run.log_metrics({name: -1.0 for name in names[:600]}, step=1)  # many existing names at once
    run.flush()
    summaries = run._refresh().metrics
    assert len(summaries) == 1_201
    assert (summaries["metric_0001"].count, summaries["metric_0001"].last) == (3, -1.0)
    assert (summaries["metric_0001"].minimum, summaries["metric_0001"].maximum) == (-1.0, 5.0)
    assert (summaries["metric_0700"].count, summaries["metric_0700"].last) == (2, "text")
    assert summaries["brand_new"].last == 7 and summaries["brand_new"].count == 1
    assert summaries["metric_1199"].last == 1199.0 and summaries["metric_1199"].count == 1
    assert summaries["metric_0599"].last_step == 1 and summaries["metric_0600"].last_step == 0
    assert run.get_metrics("metric_0001")["metric_0001"] == [1.0, 5.0, -1.0]
