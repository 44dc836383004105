"""The public API is what the docs list (STYLE 1), and importing it stays light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import runhistory

DOCS = Path(__file__).parents[1] / "docs" / "api.md"


def test_all_is_what_the_api_page_lists() -> None:
    page = DOCS.read_text()
    section = page.split("## Public names", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))
    assert listed == set(runhistory.__all__)
    for name in runhistory.__all__:
        assert hasattr(runhistory, name)


def test_import_does_not_load_heavy_modules() -> None:
    code = (
        "import sys, runhistory\n"
        "heavy = [m for m in ('numpy', 'sqlalchemy', 'alembic', 'psycopg', 'matplotlib') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
