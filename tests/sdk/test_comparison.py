"""``runhistory.sdk.comparison``: runs side by side."""

from __future__ import annotations

from runhistory.sdk.comparison import _argument_map


def test_argument_map() -> None:
    assert _argument_map(["--lr", "0.1", "--fast", "-n", "-5", "x.csv", "--k=v"]) == {
        "--lr": "0.1",
        "--fast": True,
        "-n": "-5",
        "[0]": "x.csv",
        "--k": "v",
    }
