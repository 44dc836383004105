"""``runhistory.sdk.listing``: runs listed, sorted and filtered by their fields and metrics."""

from __future__ import annotations

from runhistory.sdk.listing import filter_runs, list_runs, sort_runs
from tests.sdk.conftest import Populated


def test_sort_runs_puts_missing_values_last_both_ways(populated: Populated) -> None:
    records = list_runs(populated.workspace, experiment="sweep")

    ascending = [r.number for r in sort_runs(records, "metric:acc asc")]
    descending = [r.number for r in sort_runs(records, "metric:acc DESC")]

    assert ascending[:2] == [1, 3] and descending[:2] == [3, 1]
    assert set(ascending[2:]) == set(descending[2:]) == {2, 4}  # NaN and missing


def test_filter_runs_compares_numbers_and_text(populated: Populated) -> None:
    records = list_runs(populated.workspace)

    def numbers(*conditions: str) -> list[str]:
        return [f"{r.experiment_name}:{r.number}" for r in filter_runs(records, conditions)]

    assert numbers("tag:model = ridge") == ["sweep:1"]
    assert numbers("tag:model != ridge") == ["sweep:3"]
    assert numbers("experiment=other") == ["other:1"]
    assert numbers("metric:note = 'first try'") == ["sweep:1"]
    assert numbers("metric:loss > 0.2", "metric:loss < 1") == ["sweep:2", "sweep:1"]
    assert numbers("metric:note > 1") == []  # text is never ordered against a number
    assert numbers("property:dataset = v1", "number >= 3") == ["sweep:3"]
