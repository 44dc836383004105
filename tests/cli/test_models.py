"""``runhistory models list``."""

from __future__ import annotations

import csv
import io
import json

from tests.cli.conftest import CliInvoker, rh
from tests.sdk.conftest import Populated


def test_models_list_after_promoting(fresh: Populated, fresh_cli: CliInvoker) -> None:
    fresh_cli("history", "promote", "sweep:1", "outputs/model.pkl", "--name", "ridge")
    fresh_cli("history", "promote", "sweep:3", "outputs/model.pkl", "--name", "ridge")
    fresh_cli("history", "promote", "sweep:1", "outputs", "--name", "bundle", "--tag", "k=v")

    table = rh("models", "list", "-w", fresh.location)
    as_json = json.loads(fresh_cli("models", "list", "-o", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(fresh_cli("models", "list", "-o", "csv").stdout)))
    latest = json.loads(fresh_cli("models", "list", "--latest", "-o", "json").stdout)

    assert table.returncode == 0, table.stderr
    lines = [line.split() for line in table.stdout.splitlines()]
    assert lines[0] == ["NAME", "VERSION", "RUN", "PATH", "FILES", "CREATED", "TAGS"]
    assert [line[:3] for line in lines[1:]] == [
        ["bundle", "1", fresh.baseline.id],
        ["ridge", "2", fresh.tuned.id],
        ["ridge", "1", fresh.baseline.id],
    ]
    assert as_json[0]["files"] == ["outputs/model.pkl", "outputs/report.txt"]
    assert as_json[0]["tags"] == {"k": "v"}
    assert [(r["name"], r["version"]) for r in as_csv] == [
        ("bundle", "1"),
        ("ridge", "2"),
        ("ridge", "1"),
    ]
    assert [(m["name"], m["version"]) for m in latest] == [("bundle", 1), ("ridge", 2)]


def test_models_list_by_experiment_and_name(fresh: Populated, fresh_cli: CliInvoker) -> None:
    fresh_cli("history", "promote", "sweep:1", "outputs/model.pkl", "--name", "ridge")

    in_sweep = json.loads(fresh_cli("models", "list", "-e", "sweep", "-o", "json").stdout)
    in_other = json.loads(fresh_cli("models", "list", "-e", "other", "-o", "json").stdout)
    by_name = json.loads(fresh_cli("models", "list", "--name", "nope", "-o", "json").stdout)

    assert [m["id"] for m in in_sweep] == ["ridge:1"]
    assert in_other == [] and by_name == []


def test_models_list_when_there_are_none(cli: CliInvoker) -> None:
    result = cli("models", "list")

    assert result.exit_code == 0
    assert result.stdout == "no models registered yet\n"
