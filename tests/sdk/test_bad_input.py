"""Odd and wrong input: what is stored as given, what is refused with a message that names the value
and says what to do, and that a refused call leaves what was stored before untouched."""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runhistory import Run
from runhistory.errors import (
    InvalidStateError,
    InvalidValueError,
    MetricKindError,
    PropertyConflictError,
)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def logged(run: Run) -> Iterator[Run]:
    """A run with good values of every value kind already stored."""
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.log_list("scores", [1, 2, 3])
    run.log_row("curve", x=1, y=2.5)
    run.log_table("table", {"a": [1, 2], "b": ["x", "y"]})
    run.tag("team", "vision")
    run.add_properties({"dataset": "v1"})
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))
    run.flush()
    yield run


def unchanged(run: Run, before: dict[str, Any]) -> None:
    """After the refused call, what was stored reads back exactly as it did before."""
    run.flush()
    assert run.get_metrics() == before
    assert run.get_tags() == {"team": "vision"}
    assert run.get_properties() == {"dataset": "v1"}
    assert run.get_file_names() == ["outputs/model.pkl"]


def refuses(
    run: Run,
    error: type[Exception] | tuple[type[Exception], ...],
    match: str,
    call: Callable[[], object],
) -> pytest.ExceptionInfo[Exception]:
    before = run.get_metrics()
    with pytest.raises(error, match=match) as info:
        call()
    unchanged(run, before)
    return info


# values stored as given -------------------------------------------------------------------------


def test_nan_and_infinities_round_trip(run: Run) -> None:
    run.log("nan", float("nan"))
    run.log("inf", float("inf"))
    run.log("ninf", float("-inf"))
    run.log("mixed", 1.0)
    run.log("mixed", float("nan"))
    run.log("mixed", float("inf"))
    run.log("mixed", float("-inf"))
    run.log_list("listed", [float("nan"), 2.0, float("-inf")])

    metrics = run.get_metrics()

    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf
    assert metrics["ninf"] == -math.inf
    assert metrics["mixed"][0] == 1.0
    assert math.isnan(metrics["mixed"][1])
    assert metrics["mixed"][2:] == [math.inf, -math.inf]
    assert math.isnan(metrics["listed"][0]) and metrics["listed"][1:] == [2.0, -math.inf]
    history = run.get_metric_history("mixed")
    assert history.values[0] == 1.0
    assert math.isnan(history.values[1])
    assert list(history.values[2:]) == [math.inf, -math.inf]
    assert list(history.steps) == [0, 1, 2, 3]


def test_nan_with_steps_round_trips(run: Run) -> None:
    run.log("loss", float("nan"), step=10)
    run.log("loss", float("inf"), step=20)

    history = run.get_metric_history("loss")

    assert list(history.steps) == [10, 20]
    assert math.isnan(history.values[0]) and history.values[1] == math.inf


def test_numpy_scalars_become_python_values(run: Run) -> None:
    run.log("f32", np.float32(0.5))
    run.log("f64", np.float64(0.25))
    run.log("i64", np.int64(3))
    run.log("flag", np.bool_(True))
    run.log_list("mixed", [np.int32(1), np.float16(2.0), np.bool_(False)])
    run.log("zero_dim", np.array(7))

    metrics = run.get_metrics()

    assert metrics["f32"] == 0.5 and type(metrics["f32"]) is float
    assert metrics["f64"] == 0.25 and type(metrics["f64"]) is float
    assert metrics["i64"] == 3 and type(metrics["i64"]) is int
    assert metrics["flag"] is True
    assert metrics["mixed"] == [1, 2.0, False]
    assert [type(v) for v in metrics["mixed"]] == [int, float, bool]
    assert metrics["zero_dim"] == 7 and type(metrics["zero_dim"]) is int


def test_numpy_step_is_accepted(run: Run) -> None:
    run.log("loss", 0.5, step=np.int64(4))

    assert list(run.get_metric_history("loss").steps) == [4]


# several values given to log --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ([1, 2], "log_list"),
        ((1, 2), "log_list"),
        ({"a": 1}, "log_table or log_row"),
        (np.array([1.0, 2.0]), "log_list"),
        ({1, 2}, "log_list"),
    ],
    ids=["list", "tuple", "dict", "ndarray", "set"],
)
def test_log_refuses_several_values_and_names_the_call_to_use(
    logged: Run, value: Any, hint: str
) -> None:
    refuses(logged, InvalidValueError, hint, lambda: logged.log("loss", value))
    refuses(logged, InvalidValueError, hint, lambda: logged.log("fresh", value))


def test_after_a_refused_log_the_advised_log_list_works(run: Run) -> None:
    with pytest.raises(InvalidValueError, match="log_list"):
        run.log("values", [1, 2, 3])

    run.log_list("values", [1, 2, 3])

    assert run.get_metrics() == {"values": [1, 2, 3]}


@pytest.mark.parametrize(
    ("metrics", "match"),
    [
        ({"loss": 0.1, "several": [1, 2]}, "'several'.*log_list"),
        ({"loss": 0.1, "": 1.0}, "metric name '' has 0 characters"),
        ({"loss": 0.1, "scores": 4.0}, "'scores'.*log_list"),
    ],
    ids=["value", "name", "kind"],
)
def test_log_metrics_stores_nothing_when_one_entry_is_refused(
    logged: Run, metrics: dict[str, Any], match: str
) -> None:
    refuses(
        logged, (InvalidValueError, MetricKindError), match, lambda: logged.log_metrics(metrics)
    )


def test_log_metrics_checks_values_under_a_layout_it_already_knows(logged: Run) -> None:
    logged.log_metrics({"loss": 0.125, "acc": 0.5})  # names and order now known
    logged.flush()
    refuses(
        logged,
        InvalidValueError,
        "'acc'.*log_list",
        lambda: logged.log_metrics({"loss": 0.0625, "acc": [1, 2]}),
    )
    logged.log_metrics({"loss": np.float32(0.5), "acc": np.int64(3)})  # converted, then stored
    assert logged.get_metrics()["acc"] == [0.5, 3]


def test_log_refuses_other_objects(logged: Run) -> None:
    refuses(logged, InvalidValueError, "object", lambda: logged.log("loss", object()))
    refuses(logged, InvalidValueError, "bytes", lambda: logged.log("loss", b"raw"))


# kinds ------------------------------------------------------------------------------------------


def test_log_list_under_a_scalar_name_raises(logged: Run) -> None:
    info = refuses(logged, MetricKindError, "'loss'", lambda: logged.log_list("loss", [1, 2]))

    assert "log_list" in str(info.value) and "another name" in str(info.value)


def test_log_under_a_list_name_raises(logged: Run) -> None:
    refuses(logged, MetricKindError, "'scores'.*log_list", lambda: logged.log("scores", 4))


def test_log_table_under_a_row_name_raises(logged: Run) -> None:
    refuses(
        logged,
        MetricKindError,
        "'curve'.*log_row",
        lambda: logged.log_table("curve", {"x": [2], "y": [3.0]}),
    )


def test_log_row_under_a_table_name_raises(logged: Run) -> None:
    refuses(logged, MetricKindError, "'table'", lambda: logged.log_row("table", a=3, b="z"))


def test_kind_is_kept_across_run_objects(logged: Run) -> None:
    again = Run(logged.experiment, logged.id)

    refuses(logged, MetricKindError, "'loss'", lambda: again.log_list("loss", [1]))


def test_a_new_kind_in_the_same_batch_raises(run: Run) -> None:
    run.log("fresh", 1.0)

    with pytest.raises(MetricKindError, match="'fresh'"):
        run.log_list("fresh", [2.0])

    assert run.get_metrics() == {"fresh": 1.0}


# names ------------------------------------------------------------------------------------------

BAD_NAMES = {
    "too long": ("x" * 256, "256 characters"),
    "empty": ("", "0 characters"),
    "newline": ("a\nb", re.escape(repr("a\nb"))),
    "nul": ("a\x00b", re.escape(repr("a\x00b"))),
    "tab": ("a\tb", "control character"),
}


@pytest.mark.parametrize(("name", "match"), BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_metric_names_are_checked(logged: Run, name: str, match: str) -> None:
    refuses(logged, InvalidValueError, f"metric name.*{match}", lambda: logged.log(name, 1.0))
    refuses(logged, InvalidValueError, match, lambda: logged.log_list(name, [1.0]))
    refuses(logged, InvalidValueError, match, lambda: logged.log_row(name, x=1))
    refuses(logged, InvalidValueError, match, lambda: logged.log_metrics({name: 1.0}))


def test_a_name_of_255_characters_is_fine(run: Run) -> None:
    name = "m" * 255
    run.log(name, 1.0)
    run.tag("t" * 255, "v")

    assert run.get_metrics() == {name: 1.0}
    assert run.get_tags() == {"t" * 255: "v"}


@pytest.mark.parametrize(("name", "match"), BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_column_names_are_checked(logged: Run, name: str, match: str) -> None:
    refuses(logged, InvalidValueError, match, lambda: logged.log_row("curve", **{name: 1}))
    refuses(logged, InvalidValueError, match, lambda: logged.log_table("table", {name: [1]}))


@pytest.mark.parametrize(("name", "match"), BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_tag_names_are_checked(logged: Run, name: str, match: str) -> None:
    refuses(logged, InvalidValueError, f"tag name.*{match}", lambda: logged.tag(name, "v"))
    refuses(logged, InvalidValueError, match, lambda: logged.set_tags({"ok": "1", name: "v"}))


@pytest.mark.parametrize(("name", "match"), BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_property_names_are_checked(logged: Run, name: str, match: str) -> None:
    refuses(
        logged,
        InvalidValueError,
        f"property name.*{match}",
        lambda: logged.add_properties({"fine": "1", name: "v"}),
    )


def test_tag_values_over_5000_characters_are_refused(logged: Run) -> None:
    refuses(logged, InvalidValueError, "5001 characters.*5000", lambda: logged.tag("k", "v" * 5001))

    logged.tag("k", "v" * 5000)
    assert logged.get_tags()["k"] == "v" * 5000


def test_property_values_over_5000_characters_are_refused(logged: Run) -> None:
    refuses(
        logged,
        InvalidValueError,
        "5001 characters.*5000",
        lambda: logged.add_properties({"long": "v" * 5001}),
    )


# file names -------------------------------------------------------------------------------------

BAD_FILE_NAMES = {
    "dot dot": ("outputs/../escape.txt", "'..'"),
    "leading dot dot": ("../escape.txt", "'..'"),
    "absolute": ("/etc/passwd", "absolute"),
    "drive": ("C:/temp/x.txt", "absolute"),
    "backslash": ("outputs\\model.pkl", "backslash"),
    "nul": ("outputs/a\x00b", "NUL"),
    "empty": ("", "non-empty"),
}


@pytest.mark.parametrize(("name", "match"), BAD_FILE_NAMES.values(), ids=BAD_FILE_NAMES.keys())
def test_bad_file_names_are_refused_and_nothing_is_stored(
    logged: Run, tmp_path: Path, name: str, match: str
) -> None:
    source = tmp_path / "file.txt"
    source.write_text("content")

    refuses(logged, InvalidValueError, match, lambda: logged.upload_file(name, source))
    refuses(logged, InvalidValueError, match, lambda: logged.upload_file(name, io.BytesIO(b"x")))
    refuses(
        logged,
        InvalidValueError,
        match,
        lambda: logged.upload_files(["outputs/fine.txt", name], [source, source]),
    )
    assert not (tmp_path / "escape.txt").exists()


def test_upload_folder_under_a_bad_name_is_refused(logged: Run, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.txt").write_text("a")

    refuses(
        logged,
        InvalidValueError,
        "'..'",
        lambda: logged.upload_folder("../up", tmp_path / "folder"),
    )


# shapes and sizes -------------------------------------------------------------------------------


def test_log_table_with_unequal_columns_is_refused(logged: Run) -> None:
    refuses(
        logged,
        InvalidValueError,
        "'table'.*unequal lengths.*'a': 3.*'b': 2",
        lambda: logged.log_table("table", {"a": [1, 2, 3], "b": ["x", "y"]}),
    )


def test_log_row_over_1024_columns_is_refused(logged: Run) -> None:
    columns = {f"c{i}": i for i in range(1025)}

    refuses(
        logged, InvalidValueError, "1025 columns.*1024", lambda: logged.log_row("curve", **columns)
    )
    refuses(logged, InvalidValueError, "1025 columns", lambda: logged.log_row("wide", **columns))
    refuses(
        logged,
        InvalidValueError,
        "1025 columns",
        lambda: logged.log_table("wide_table", {k: [v] for k, v in columns.items()}),
    )


def test_a_row_of_1024_columns_is_fine(run: Run) -> None:
    columns = {f"c{i}": i for i in range(1024)}

    run.log_row("wide", **columns)

    assert run.get_metrics()["wide"] == columns


def test_strings_over_64_kib_are_refused(logged: Run) -> None:
    text = "x" * (64 * 1024 + 1)

    refuses(logged, InvalidValueError, "64 KiB.*upload_file", lambda: logged.log("note", text))
    refuses(logged, InvalidValueError, "64 KiB", lambda: logged.log_list("scores", [text]))
    refuses(logged, InvalidValueError, "64 KiB", lambda: logged.log_row("curve", x=text))


def test_a_string_of_64_kib_is_fine(run: Run) -> None:
    text = "x" * (64 * 1024)

    run.log("note", text)

    assert run.get_metrics() == {"note": text}


@pytest.mark.parametrize(
    "step", ["3", 1.5, np.float64(2.0), [1]], ids=["str", "float", "numpy float", "list"]
)
def test_a_step_that_is_not_an_int_is_refused(logged: Run, step: Any) -> None:
    refuses(
        logged,
        InvalidValueError,
        "step.*must be an int",
        lambda: logged.log("loss", 0.1, step=step),
    )
    refuses(
        logged,
        InvalidValueError,
        "step.*must be an int",
        lambda: logged.log_metrics({"loss": 0.1}, step=step),
    )


def test_a_refused_step_does_not_slip_its_value_into_the_metric(run: Run) -> None:
    run.log("loss", 0.5)
    run.log("loss", 0.4)
    run.flush()

    with pytest.raises(InvalidValueError, match="step '3'"):
        run.log("loss", 0.3, step="3")
    run.log("loss", 0.2)

    assert run.get_metrics() == {"loss": [0.5, 0.4, 0.2]}


# images and JSON kinds --------------------------------------------------------------------------


def test_log_image_refuses_a_file_that_is_not_an_image(logged: Run, tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not really a png")

    refuses(
        logged,
        InvalidValueError,
        re.escape(repr(str(text))) + ".*not an image",
        lambda: logged.log_image("chart", path=text),
    )


def test_log_image_refuses_a_missing_file(logged: Run, tmp_path: Path) -> None:
    missing = tmp_path / "missing.png"

    refuses(
        logged,
        InvalidValueError,
        re.escape(repr(str(missing))),
        lambda: logged.log_image("chart", path=missing),
    )


def test_log_image_needs_exactly_one_of_path_and_plot(logged: Run, tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    image = tmp_path / "chart.png"
    image.write_bytes(PNG)

    refuses(
        logged,
        InvalidValueError,
        "exactly one of path= or plot=",
        lambda: logged.log_image("chart"),
    )
    refuses(
        logged,
        InvalidValueError,
        "exactly one of path= or plot=",
        lambda: logged.log_image("chart", path=image, plot=Figure()),
    )
    refuses(
        logged,
        InvalidValueError,
        "matplotlib Figure",
        lambda: logged.log_image("chart", plot="not a figure"),
    )


def test_log_image_with_a_real_image_is_stored(run: Run, tmp_path: Path) -> None:
    image = tmp_path / "chart.png"
    image.write_bytes(PNG)

    run.log_image("chart", path=image)

    reference = run.get_metrics()["chart"]
    assert reference.startswith(f"runhistory://runs/{run.id}/images/")
    assert run.get_metrics(populate=True)["chart"] == PNG


CONFUSION = {
    "schema_type": "confusion_matrix",
    "schema_version": "1.0.0",
    "data": {"class_labels": ["cat", "dog"], "matrix": [[3, 1], [0, 4]]},
}


@pytest.mark.parametrize(
    ("value", "match"),
    [("{not json", "not JSON"), ({"data": {1, 2}}, "JSON string")],
    ids=["bad json", "a set"],
)
def test_a_confusion_matrix_that_is_not_json_is_refused(
    logged: Run, value: Any, match: str
) -> None:
    info = refuses(
        logged, InvalidValueError, match, lambda: logged.log_confusion_matrix("cm", value)
    )

    assert "'cm'" in str(info.value)


def test_a_valid_confusion_matrix_is_stored(run: Run) -> None:
    run.log_confusion_matrix("cm", CONFUSION)

    assert run.get_metrics(populate=True)["cm"] == CONFUSION


# properties and lifecycle -----------------------------------------------------------------------


def test_properties_are_write_once(logged: Run) -> None:
    logged.add_properties({"dataset": "v1", "seed": 7})
    logged.add_properties({"seed": "7"})

    with pytest.raises(PropertyConflictError, match=r"'dataset'.*'v1'.*'v2'"):
        logged.add_properties({"dataset": "v2"})

    assert logged.get_properties() == {"dataset": "v1", "seed": "7"}


def test_a_conflicting_property_stores_none_of_the_others(logged: Run) -> None:
    with pytest.raises(PropertyConflictError, match="'dataset'"):
        logged.add_properties({"new": "1", "dataset": "v2"})

    assert logged.get_properties() == {"dataset": "v1"}


def test_add_properties_needs_a_dict(logged: Run) -> None:
    refuses(logged, InvalidValueError, "dict, not list", lambda: logged.add_properties([("a", 1)]))  # type: ignore[arg-type]


def test_fail_after_complete_raises_and_the_run_stays_completed(logged: Run) -> None:
    logged.complete()

    with pytest.raises(InvalidStateError, match=r"already Completed.*Failed"):
        logged.fail("too late")

    assert logged.get_status() == "Completed"
    assert logged.get_details()["error"] is None


def test_start_after_complete_raises(run: Run) -> None:
    run.complete()

    with pytest.raises(InvalidStateError, match="Completed"):
        run.start()

    assert run.get_status() == "Completed"


def test_an_unknown_status_filter_names_the_choices(run: Run) -> None:
    with pytest.raises(InvalidValueError, match=r"'Done'.*Completed"):
        list(run.get_children(status="Done"))
