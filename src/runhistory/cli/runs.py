"""``runhistory logs RUN [-f]`` and ``runhistory cancel RUN``: one run's logs and lifecycle."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from runhistory.cli.context import EXIT_INTERRUPTED, workspace_command
from runhistory.sdk.log_following import follow_logs
from runhistory.sdk.references import resolve_run

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace


@click.command("logs", short_help="Print (or follow) a run's logs.")
@workspace_command
@click.argument("run")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output until the run ends.")
@click.option(
    "--stream",
    metavar="NAME",
    help="Only this log, e.g. std_log.txt or logs/driver_log.txt (default: every log).",
)
def logs(workspace: Workspace, run: str, follow: bool, stream: str | None) -> None:
    """Print a run's logs; with several, each starts with a '==> NAME <==' line (as tail does)."""
    found = resolve_run(workspace, run)
    current = None
    printed = False
    try:
        for name, text in follow_logs(found, stream, follow):
            if name != current and (stream is None):
                header = f"==> {name} <=="
                sys.stdout.write(f"\n{header}\n" if printed else f"{header}\n")
            current = name
            printed = True
            sys.stdout.write(text)
            sys.stdout.flush()
    except KeyboardInterrupt:
        click.get_current_context().exit(EXIT_INTERRUPTED)
    if not printed:
        click.echo(f"run {found.id} has no logs", err=True)


@click.command("cancel")
@workspace_command
@click.argument("run")
def cancel(workspace: Workspace, run: str) -> None:
    """Cancel an active run."""
    found = resolve_run(workspace, run)
    found.cancel()
    click.echo(f"Run {found.id} is {found.get_status()}")
