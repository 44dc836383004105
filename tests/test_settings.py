"""Every setting is documented (STYLE 5), and bad values are refused with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from runhistory.errors import InvalidValueError
from runhistory.settings import Settings, documented_settings

DOCS = Path(__file__).parents[1] / "docs" / "settings.md"


def test_every_setting_is_in_the_settings_page() -> None:
    page = DOCS.read_text()
    for variable, _type, _default, help_text in documented_settings():
        assert f"`{variable}`" in page, f"{variable} is missing from docs/settings.md"
        assert help_text, f"{variable} has no help text"


def test_environment_values_are_typed() -> None:
    settings = Settings.from_env(
        {
            "RUNHISTORY_FLUSH_INTERVAL": "0.25",
            "RUNHISTORY_SNAPSHOT_MAX_FILES": "10",
            "RUNHISTORY_OFFLINE": "record",
        }
    )
    assert (settings.flush_interval, settings.snapshot_max_files, settings.offline) == (
        0.25,
        10,
        "record",
    )
    assert Settings.from_env({}) == Settings()


def test_a_bad_value_names_the_variable() -> None:
    with pytest.raises(InvalidValueError, match="RUNHISTORY_FLUSH_INTERVAL='soon'"):
        Settings.from_env({"RUNHISTORY_FLUSH_INTERVAL": "soon"})
