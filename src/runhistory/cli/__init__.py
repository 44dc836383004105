"""The ``runhistory`` command (alias ``rh``): a thin layer over the SDK, one module per command
group. Each command parses its arguments, calls the SDK (``runhistory.sdk.references``,
``listing``, ``run_info``, ...) and renders the result with ``output``.

    runhistory history list -e sweep --sort "metric:mse asc"
"""

from __future__ import annotations

import click

from runhistory import __version__
from runhistory.cli.context import CommandGroup
from runhistory.cli.experiments import experiments
from runhistory.cli.history import history
from runhistory.cli.init import init
from runhistory.cli.models import models
from runhistory.cli.runs import cancel, logs
from runhistory.cli.server import db, server, token, ui
from runhistory.cli.submit import run

__all__ = ["cli", "main"]


@click.group(
    "runhistory", cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.version_option(__version__, "--version", "-V", prog_name="runhistory")
def cli() -> None:
    """Self-hosted run history for machine learning.

    RUN is a run id, EXPERIMENT:NUMBER or a unique run id prefix. Every command takes
    -w LOCATION (default: RUNHISTORY_WORKSPACE, else the nearest .runhistory folder).
    Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 conflict, 5 store unreachable."""


for command in (run, history, logs, cancel, experiments, models, init):
    cli.add_command(command)
for command in (server, ui, token, db):
    cli.add_command(command)


def main() -> None:
    """The console entry point of ``runhistory`` and ``rh``."""
    cli()
