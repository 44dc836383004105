"""``runhistory.sdk.run_info``: one run as data."""

from __future__ import annotations

from runhistory.sdk.listing import list_runs
from runhistory.sdk.run_info import scalar_metric_names
from tests.sdk.conftest import Populated


def test_scalar_metric_names_with_patterns(populated: Populated) -> None:
    records = list_runs(populated.workspace)

    assert scalar_metric_names(records) == ["acc", "loss", "note"]
    assert scalar_metric_names(records, ["no*", "a*", "acc"]) == ["note", "acc"]
