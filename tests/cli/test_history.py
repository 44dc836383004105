"""``runhistory history ...`` against a workspace of real runs of every metric kind."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from runhistory import Model
from tests.cli.conftest import CliInvoker, rh
from tests.sdk.conftest import PNG, SOURCE, Populated

# history list -------------------------------------------------------------------------------------


def test_list_piped_is_a_plain_table_newest_first_with_scalar_metric_columns(
    populated: Populated,
) -> None:
    result = rh("history", "list", "-w", populated.location)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "RUN", "ID", "NAME", "STATUS", "STARTED", "DURATION", "SCRIPT", "acc", "loss", "note",
    ]  # fmt: skip
    assert "\x1b[" not in result.stdout
    assert [line.split()[0] for line in lines[1:]] == [
        "other:1", "sweep:4", "sweep:3", "sweep:2", "sweep:1",
    ]  # fmt: skip
    baseline = lines[-1]
    assert baseline.split()[:4] == ["sweep:1", populated.baseline.id, "baseline", "Completed"]
    assert baseline.split()[-4:] == ["0.75", "0.25", "first", "try"]
    assert re.search(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b", baseline)
    assert "train.py" in baseline


def test_rh_is_the_same_command(populated: Populated) -> None:
    long = rh("history", "list", "-w", populated.location, "-o", "json")
    short = rh("history", "list", "-w", populated.location, "-o", "json", program="rh")

    assert short.returncode == 0, short.stderr
    strip = [{k: v for k, v in r.items() if k != "duration"} for r in json.loads(long.stdout)]
    assert strip == [
        {k: v for k, v in r.items() if k != "duration"} for r in json.loads(short.stdout)
    ]


def test_list_json_carries_every_field(populated: Populated, cli: CliInvoker) -> None:
    result = cli("history", "list", "-o", "json")

    runs = {r["runId"]: r for r in json.loads(result.stdout)}
    baseline = runs[populated.baseline.id]
    assert baseline["runNumber"] == 1
    assert baseline["experiment"] == "sweep"
    assert baseline["displayName"] == "baseline"
    assert baseline["status"] == "Completed"
    assert baseline["scriptName"] == "train.py"
    assert baseline["arguments"] == ["--alpha", "0.1", "--epochs", "3", "data.csv"]
    assert baseline["tags"] == {"model": "ridge", "team": None}
    assert baseline["properties"] == {"dataset": "v1"}
    assert baseline["metrics"] == {"acc": 0.75, "loss": 0.25, "note": "first try"}
    for key in ("createdTimeUtc", "startTimeUtc", "endTimeUtc"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", baseline[key])
    assert isinstance(baseline["duration"], float)
    assert runs[populated.child.id]["parentRunId"] == populated.baseline.id
    # Strict JSON: non-finite values are strings.
    assert runs[populated.active.id]["metrics"] == {"acc": "NaN", "loss": "Infinity"}
    assert runs[populated.active.id]["endTimeUtc"] is None


def test_list_csv_round_trips_through_the_csv_module(cli: CliInvoker) -> None:
    as_json = json.loads(cli("history", "list", "-o", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(cli("history", "list", "-o", "csv").stdout)))

    assert [r["runId"] for r in as_csv] == [r["runId"] for r in as_json]
    for row, run in zip(as_csv, as_json, strict=True):
        assert row["status"] == run["status"]
        assert row["createdTimeUtc"] == run["createdTimeUtc"]
        assert int(row["runNumber"]) == run["runNumber"]
        assert json.loads(row["arguments"]) == run["arguments"]
        for name in ("acc", "loss"):
            expected = run["metrics"].get(name)
            if expected is None:
                assert row[f"metrics.{name}"] == ""
            elif isinstance(expected, str):  # NaN / Infinity
                assert str(float(row[f"metrics.{name}"])) == str(float(expected))
            else:
                assert float(row[f"metrics.{name}"]) == expected
        assert row["tags.model"] == (run["tags"].get("model") or "")


def test_list_filters_by_experiment_status_tag_and_condition(
    populated: Populated, cli: CliInvoker
) -> None:
    def ids(*args: str) -> list[str]:
        result = cli("history", "list", "-o", "json", *args)
        assert result.exit_code == 0, result.output
        return [r["runId"] for r in json.loads(result.stdout)]

    sweep = [populated.active.id, populated.tuned.id, populated.child.id, populated.baseline.id]
    assert ids("-e", "sweep") == sweep
    assert ids("--experiment", "other") == [populated.other.id]
    assert ids("--status", "failed") == [populated.tuned.id]
    assert ids("--status", "Failed", "--status", "running") == [
        populated.active.id,
        populated.tuned.id,
    ]
    assert ids("--tag", "model=ridge") == [populated.baseline.id]
    assert ids("--tag", "model") == [populated.tuned.id, populated.baseline.id]
    assert ids("--where", "metric:loss < 0.3") == [populated.tuned.id, populated.baseline.id]
    assert ids("--where", "metric:acc >= 0.75", "--where", "status = completed") == [
        populated.baseline.id
    ]
    assert ids("--top-level", "-e", "sweep") == [
        populated.active.id,
        populated.tuned.id,
        populated.baseline.id,
    ]
    assert ids("--limit", "2") == [populated.other.id, populated.active.id]


def test_list_sorts_by_metric_and_fields(populated: Populated, cli: CliInvoker) -> None:
    def ids(sort: str) -> list[str]:
        result = cli("history", "list", "-o", "json", "-e", "sweep", "--sort", sort)
        assert result.exit_code == 0, result.output
        return [r["runId"] for r in json.loads(result.stdout)]

    # NaN and missing values come last both ways.
    assert ids("metric:acc desc") == [
        populated.tuned.id,
        populated.baseline.id,
        populated.active.id,
        populated.child.id,
    ]
    assert ids("metric:acc asc")[:2] == [populated.baseline.id, populated.tuned.id]
    assert ids("metric:loss")[:3] == [populated.tuned.id, populated.baseline.id, populated.child.id]
    assert ids("number") == [
        populated.baseline.id,
        populated.child.id,
        populated.tuned.id,
        populated.active.id,
    ]
    assert ids("status, number desc") == [
        populated.child.id,
        populated.baseline.id,
        populated.tuned.id,
        populated.active.id,
    ]
    assert ids("metric:loss asc")[:1] == ids("metrics.loss")[:1]


def test_list_limit_applies_after_sorting(populated: Populated, cli: CliInvoker) -> None:
    result = cli("history", "list", "-o", "json", "--sort", "metric:loss asc", "--limit", "1")

    assert [r["runId"] for r in json.loads(result.stdout)] == [populated.tuned.id]


def test_list_metric_patterns_choose_columns(cli: CliInvoker) -> None:
    table = cli("history", "list", "-m", "lo*").stdout.splitlines()
    as_json = json.loads(cli("history", "list", "-m", "acc", "-o", "json").stdout)

    assert table[0].split()[-1] == "loss" and "acc" not in table[0].split()
    assert {name for run in as_json for name in run["metrics"]} == {"acc"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sort", "metric:los"], "no listed run has metric 'los'; did you mean loss"),
        (["--sort", "colour"], "'colour' is not a run field"),
        (["--where", "metric:acc"], "is not 'FIELD OP VALUE'"),
    ],
)
def test_list_refuses_bad_sort_and_conditions(
    cli: CliInvoker, args: list[str], message: str
) -> None:
    result = cli("history", "list", *args)

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert message in result.stderr


def test_list_unknown_experiment_suggests_close_names(cli: CliInvoker) -> None:
    result = cli("history", "list", "-e", "swep")

    assert result.exit_code == 3
    assert "no experiment 'swep'" in result.stderr and "did you mean sweep" in result.stderr


def test_list_bad_status_is_a_usage_error(cli: CliInvoker) -> None:
    result = cli("history", "list", "--status", "done")

    assert result.exit_code == 2
    assert "'done' is not one of" in result.stderr


def test_list_of_an_empty_workspace(tmp_path: Path) -> None:
    assert rh("init", cwd=tmp_path).returncode == 0

    result = rh("history", "list", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == "no runs yet\n"  # says so, instead of a header over nothing
    assert rh("experiments", "list", cwd=tmp_path).stdout == "no experiments yet\n"
    assert rh("models", "list", cwd=tmp_path).stdout == "no models registered yet\n"
    assert json.loads(rh("history", "list", "-o", "json", cwd=tmp_path).stdout) == []


# history info / last -----------------------------------------------------------------------------


def test_info_prints_every_metric_kind_files_and_details(populated: Populated) -> None:
    result = rh("history", "info", populated.baseline.id, "-w", populated.location)

    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    run = populated.baseline.id
    assert info["runId"] == run and info["runNumber"] == 1 and info["experiment"] == "sweep"
    assert info["status"] == "Completed" and info["parentRunId"] is None
    assert info["scriptName"] == "train.py" and info["target"] == "local"
    assert info["arguments"] == ["--alpha", "0.1", "--epochs", "3", "data.csv"]
    assert info["tags"] == {"model": "ridge", "team": None}
    assert info["properties"] == {"dataset": "v1"}
    for key in ("createdTimeUtc", "startTimeUtc", "endTimeUtc"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", info[key])
    assert info["duration"] >= 0
    metrics = info["metrics"]
    assert metrics["loss"] == [0.9, 0.5, 0.25]  # scalar series
    assert metrics["acc"] == 0.75  # one scalar
    assert metrics["note"] == "first try"
    assert metrics["val_losses"] == [0.8, 0.6, 0.4]  # list
    assert metrics["pr"] == {"precision": [0.5, 0.7], "recall": [0.4, 0.6]}  # rows
    assert metrics["results"] == {"fold": [0, 1], "score": [0.7, 0.8]}  # table
    assert re.fullmatch(rf"runhistory://runs/{run}/images/chart_\d+\.png", metrics["chart"])
    assert re.fullmatch(rf"runhistory://runs/{run}/metrics/cm_\d+\.json", metrics["cm"])
    files = info["files"]
    assert {"outputs/model.pkl", "outputs/report.txt", "logs/std_log.txt"} <= set(files)
    assert metrics["chart"].split(f"{run}/")[1] in files


def test_info_of_a_child_and_of_an_active_run(populated: Populated, cli: CliInvoker) -> None:
    child = json.loads(cli("history", "info", populated.child.id).stdout)
    active = json.loads(cli("history", "info", "sweep:4").stdout)

    assert child["parentRunId"] == populated.baseline.id
    assert child["metrics"] == {"loss": 0.3}
    assert active["status"] == "Running" and active["endTimeUtc"] is None
    assert active["metrics"] == {"acc": "NaN", "loss": "Infinity"}


def test_runs_are_found_by_experiment_number_and_unique_prefix(
    populated: Populated, cli: CliInvoker
) -> None:
    tuned = populated.tuned.id
    for reference in ("sweep:3", tuned, tuned[: len(tuned) - 2]):
        result = cli("history", "info", reference)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["runId"] == tuned


def test_an_ambiguous_prefix_lists_the_candidates(populated: Populated, cli: CliInvoker) -> None:
    result = cli("history", "info", "sweep_")

    assert result.exit_code == 1
    assert "'sweep_' is ambiguous" in result.stderr
    assert populated.baseline.id in result.stderr and populated.tuned.id in result.stderr


def test_an_unknown_run_names_the_reference_and_close_matches(
    populated: Populated, cli: CliInvoker
) -> None:
    typo = populated.tuned.id[:-3] + "zzz"

    result = cli("history", "info", typo)

    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: no run '{typo}'")
    assert f"did you mean {populated.tuned.id}" in result.stderr


def test_an_unknown_run_number_says_which_numbers_exist(cli: CliInvoker) -> None:
    result = cli("history", "info", "sweep:99")

    assert result.exit_code == 3
    assert "experiment 'sweep' has no run number 99; its runs are numbered 1 to 4" in result.stderr


def test_last_is_the_newest_top_level_run(populated: Populated, cli: CliInvoker) -> None:
    newest = json.loads(cli("history", "last").stdout)
    in_sweep = json.loads(cli("history", "last", "-e", "sweep").stdout)

    assert newest["runId"] == populated.other.id
    assert in_sweep["runId"] == populated.active.id
    assert set(in_sweep) >= {"metrics", "files", "tags", "properties", "duration", "status"}


# history compare ---------------------------------------------------------------------------------


def test_compare_shows_runs_side_by_side_and_marks_differences(populated: Populated) -> None:
    result = rh("history", "compare", "sweep:1", "sweep:3", "-w", populated.location)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["DIFF", "SECTION", "FIELD", "sweep:1", "sweep:3"]
    rows = {tuple(line.split()[:3]): line for line in lines[1:]}
    assert ("*", "metrics", "acc") in rows and "0.75" in rows[("*", "metrics", "acc")]
    assert ("*", "arguments", "--alpha") in rows
    assert ("*", "arguments", "--fast") in rows
    assert ("*", "tags", "model") in rows
    assert ("*", "files", "outputs/model.pkl") in rows
    unchanged = {line.split()[1] for line in lines[1:] if not line.startswith("*")}
    assert {"--epochs", "dataset", "experiment", "started", "duration"} <= unchanged


def test_compare_json_holds_every_section(populated: Populated, cli: CliInvoker) -> None:
    result = cli("history", "compare", "sweep:1", "sweep:3", populated.child.id, "-o", "json")

    data = json.loads(result.stdout)
    assert [r["runId"] for r in data["runs"]] == [
        populated.baseline.id,
        populated.tuned.id,
        populated.child.id,
    ]
    sections = data["sections"]
    assert set(sections) == {"run", "metrics", "arguments", "tags", "properties", "files"}
    loss = next(f for f in sections["metrics"] if f["name"] == "loss")
    assert loss["differs"] is True and loss["kind"] == "scalar"
    assert loss["values"][0] == {"last": 0.25, "minimum": 0.25, "maximum": 0.9, "count": 3}
    assert [v["last"] for v in loss["values"]] == [0.25, 0.1, 0.3]
    dataset = next(f for f in sections["properties"] if f["name"] == "dataset")
    assert dataset == {
        "name": "dataset",
        "values": ["v1", "v1", None],
        "differs": True,
        "kind": None,
    }
    alpha = next(f for f in sections["arguments"] if f["name"] == "--alpha")
    assert alpha["values"] == ["0.1", "0.5", None]
    model = next(f for f in sections["files"] if f["name"] == "outputs/model.pkl")
    assert model["values"][0]["size"] == 9 and model["values"][2] is None


def test_compare_csv_and_only_differences(cli: CliInvoker) -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(cli("history", "compare", "sweep:1", "sweep:3", "-o", "csv").stdout)
        )
    )
    only = cli("history", "compare", "sweep:1", "sweep:3", "-d", "-o", "json").stdout

    assert {"section", "field", "sweep:1", "sweep:3", "differs"} == set(rows[0])
    epochs = next(r for r in rows if r["field"] == "--epochs")
    assert epochs["differs"] == "no" and epochs["sweep:1"] == "3"
    shown = json.loads(only)["sections"]
    assert all(f["differs"] for fields in shown.values() for f in fields)
    assert not any(f["name"] == "--epochs" for f in shown["arguments"])


def test_compare_needs_two_runs(cli: CliInvoker) -> None:
    result = cli("history", "compare", "sweep:1")

    assert result.exit_code == 2
    assert "at least two runs" in result.stderr


# history download --------------------------------------------------------------------------------


def test_download_writes_every_file_and_prints_one_line_each(
    populated: Populated, tmp_path: Path
) -> None:
    destination = tmp_path / "down"

    result = rh(
        "history", "download", "sweep:1", "--dest", str(destination), "-w", populated.location
    )

    assert result.returncode == 0, result.stderr
    assert (destination / "outputs" / "model.pkl").read_bytes() == b"\x00weights\xff"
    assert (destination / "logs" / "std_log.txt").read_text() == "epoch 1\nepoch 2\n"
    images = list((destination / "images").iterdir())
    assert [p.read_bytes() for p in images] == [PNG]
    lines = result.stdout.splitlines()
    assert len(lines) == 7  # six files, then the summary
    assert lines[-1].startswith("Downloaded 6 files") and str(destination) in lines[-1]


def test_download_with_a_prefix_into_the_default_folder(
    populated: Populated, tmp_path: Path
) -> None:
    result = rh(
        "history",
        "download",
        "sweep:1",
        "--prefix",
        "outputs/",
        "-w",
        populated.location,
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    root = tmp_path / populated.baseline.id
    names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert names == ["outputs/model.pkl", "outputs/report.txt"]


def test_download_of_a_missing_prefix_is_not_found(cli: CliInvoker, tmp_path: Path) -> None:
    result = cli("history", "download", "sweep:1", "--prefix", "nothing/", "--dest", str(tmp_path))

    assert result.exit_code == 3
    assert "has no files under 'nothing/'" in result.stderr


# history restore ---------------------------------------------------------------------------------


def _tree(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()
    }


def test_restore_into_an_empty_folder_asks_nothing(populated: Populated, tmp_path: Path) -> None:
    target = tmp_path / "checkout"

    result = rh("history", "restore", "sweep:1", "--path", str(target), "-w", populated.location)

    assert result.returncode == 0, result.stderr
    assert _tree(target) == SOURCE
    assert (target / "run.sh").stat().st_mode & 0o111
    assert "Restored 3 files" in result.stdout and "?" not in result.stdout


def test_restore_into_the_current_folder_by_default(populated: Populated, tmp_path: Path) -> None:
    result = rh("history", "restore", "sweep:1", "-w", populated.location, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert _tree(tmp_path) == SOURCE


def _changed_checkout(folder: Path) -> dict[str, str]:
    for name, text in SOURCE.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (folder / "train.py").write_text("print('edited')\n")
    (folder / "notes.md").write_text("mine\n")
    return _tree(folder)


def test_restore_over_changed_files_asks_and_does_nothing_on_no(
    populated: Populated, tmp_path: Path
) -> None:
    before = _changed_checkout(tmp_path)

    result = rh(
        "history",
        "restore",
        "sweep:1",
        "--path",
        str(tmp_path),
        "-w",
        populated.location,
        input="n\n",
    )

    assert result.returncode == 1
    assert "overwrite 1 file:\n    M train.py" in result.stdout
    assert "remove 1 file not in the snapshot:\n    D notes.md" in result.stdout
    assert "Go on? [y/N]" in result.stdout
    assert "Nothing was changed." in result.stderr
    assert _tree(tmp_path) == before


def test_restore_without_an_answer_does_nothing(populated: Populated, tmp_path: Path) -> None:
    before = _changed_checkout(tmp_path)

    result = rh("history", "restore", "sweep:1", "--path", str(tmp_path), "-w", populated.location)

    assert result.returncode == 1
    assert _tree(tmp_path) == before


def test_restore_over_changed_files_on_yes(cli: CliInvoker, tmp_path: Path) -> None:
    _changed_checkout(tmp_path)

    result = cli("history", "restore", "sweep:1", "--path", str(tmp_path), input="y\n")

    assert result.exit_code == 0, result.output
    assert _tree(tmp_path) == SOURCE


def test_restore_with_yes_overwrites_and_removes_without_asking(
    populated: Populated, tmp_path: Path
) -> None:
    _changed_checkout(tmp_path)
    (tmp_path / "extra" / "deep").mkdir(parents=True)
    (tmp_path / "extra" / "deep" / "x.txt").write_text("x")

    result = rh(
        "history", "restore", "sweep:1", "--path", str(tmp_path), "--yes", "-w", populated.location
    )

    assert result.returncode == 0, result.stderr
    assert "?" not in result.stdout
    assert _tree(tmp_path) == SOURCE
    assert not (tmp_path / "extra").exists()
    assert "1 overwritten, removed 2" in result.stdout


def test_restore_keep_extra_keeps_files_not_in_the_snapshot(
    cli: CliInvoker, tmp_path: Path
) -> None:
    _changed_checkout(tmp_path)

    result = cli("history", "restore", "sweep:1", "--path", str(tmp_path), "--yes", "--keep-extra")

    assert result.exit_code == 0, result.output
    assert _tree(tmp_path) == {**SOURCE, "notes.md": "mine\n"}


def test_restore_of_a_run_without_snapshot_is_not_found(cli: CliInvoker, tmp_path: Path) -> None:
    result = cli("history", "restore", "other:1", "--path", str(tmp_path))

    assert result.exit_code == 3
    assert "has no source snapshot" in result.stderr


# history promote ---------------------------------------------------------------------------------


def test_promote_registers_the_next_version(fresh: Populated, fresh_cli: CliInvoker) -> None:
    first = fresh_cli("history", "promote", "sweep:1", "outputs/model.pkl", "--name", "ridge")
    second = fresh_cli(
        "history", "promote", "sweep:3", "outputs", "--name", "ridge", "--tag", "stage=prod"
    )

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Registered ridge version 1" in first.stdout
    assert "Registered ridge version 2" in second.stdout
    model = Model(fresh.workspace, "ridge")
    assert (model.version, model.run_id, model.files) == (2, fresh.tuned.id, ["outputs/model.pkl"])
    assert model.tags == {"stage": "prod"}


def test_promote_of_a_missing_artifact_is_not_found(cli: CliInvoker) -> None:
    result = cli("history", "promote", "sweep:1", "outputs/nope.pkl", "--name", "ridge")

    assert result.exit_code == 3
    assert "no file or folder 'outputs/nope.pkl'" in result.stderr


def test_one_file_is_one_file_and_sizes_use_one_unit_system(
    populated: Populated, tmp_path: Path
) -> None:
    result = rh(
        "history",
        "download",
        "sweep:1",
        "--prefix",
        "outputs/model",
        "--dest",
        str(tmp_path / "one"),
        "-w",
        populated.location,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("Downloaded 1 file (9 bytes)")
