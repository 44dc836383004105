"""``runhistory experiments list``."""

from __future__ import annotations

import csv
import io
import json

from runhistory import Experiment
from tests.cli.conftest import CliInvoker, rh
from tests.sdk.conftest import Populated


def test_experiments_list_piped(populated: Populated) -> None:
    result = rh("experiments", "list", "-w", populated.location)

    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert lines[0] == ["NAME", "RUNS", "CREATED", "TAGS"]
    assert [(line[0], line[1]) for line in lines[1:]] == [("other", "1"), ("sweep", "4")]


def test_experiments_list_json_csv_and_pattern(cli: CliInvoker) -> None:
    as_json = json.loads(cli("experiments", "list", "-o", "json").stdout)
    as_csv = list(csv.DictReader(io.StringIO(cli("experiments", "list", "-o", "csv").stdout)))
    matching = json.loads(cli("experiments", "list", "-e", "sw*", "-o", "json").stdout)

    assert [(e["name"], e["runCount"], e["archived"]) for e in as_json] == [
        ("other", 1, False),
        ("sweep", 4, False),
    ]
    assert [(r["name"], r["runCount"], r["id"]) for r in as_csv] == [
        (e["name"], str(e["runCount"]), e["id"]) for e in as_json
    ]
    assert [e["name"] for e in matching] == ["sweep"]


def test_archived_experiments_are_listed_on_request(
    fresh: Populated, fresh_cli: CliInvoker
) -> None:
    Experiment(fresh.workspace, "other").archive()

    active = json.loads(fresh_cli("experiments", "list", "-o", "json").stdout)
    every = fresh_cli("experiments", "list", "--view", "all").stdout.splitlines()

    assert [e["name"] for e in active] == ["sweep"]
    assert every[0].split() == ["NAME", "RUNS", "CREATED", "ARCHIVED", "TAGS"]
    assert every[1].split()[0] == "other" and "yes" in every[1].split()
