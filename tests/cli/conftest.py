"""Two ways to drive the command line against the populated workspace of ``tests.sdk.conftest``:
``cli`` (click's runner, in process) and ``rh`` (the installed entry point, in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runhistory.cli import cli as cli_group
from tests.sdk.conftest import Populated, build_populated

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Populated]:
    """Shared by the tests of a module: only for tests that change nothing in the workspace."""
    built = build_populated(tmp_path_factory.mktemp("populated"))
    yield built
    built.workspace.close()


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Populated]:
    """A workspace of its own, for tests that change runs."""
    built = build_populated(tmp_path)
    yield built
    built.workspace.close()


@pytest.fixture
def cli(populated: Populated) -> CliInvoker:
    return CliInvoker(populated.location)


@pytest.fixture
def fresh_cli(fresh: Populated) -> CliInvoker:
    return CliInvoker(fresh.location)


class CliInvoker:
    """Runs a command in process against a workspace (``-w`` is added after the command)."""

    def __init__(self, location: str | None) -> None:
        self.location = location

    def __call__(self, *args: str, input: str | None = None) -> Result:
        arguments = list(args)
        if self.location is not None and args[0] not in ("init", "--help", "--version"):
            depth = 2 if args[0] in ("history", "experiments", "models") else 1
            arguments[depth:depth] = ["-w", self.location]
        return CliRunner().invoke(cli_group, arguments, input=input, catch_exceptions=False)


def rh(
    *args: str,
    cwd: Path | None = None,
    input: str | None = None,
    program: str = "runhistory",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The installed command, as a user runs it, with output piped."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNHISTORY_")}
    environment.update(env or {})
    return subprocess.run(
        [str(BIN / program), *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
