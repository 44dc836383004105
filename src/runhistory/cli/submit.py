"""``runhistory run [-e EXP] [--target T] [--wait] SCRIPT [ARGS...]``: submit a script from the
current folder as a tracked run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from runhistory.cli.context import EXIT_ERROR, EXIT_INTERRUPTED, parse_key_values, workspace_command

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace


@click.command(
    "run",
    short_help="Submit a script from the current folder as a tracked run.",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@workspace_command
@click.option(
    "-e", "--experiment", metavar="EXP", help="Experiment (default: the current folder's name)."
)
@click.option(
    "--target", default="local", show_default=True, help="Compute target to queue the run on."
)
@click.option("--wait", is_flag=True, help="Stream the run's log and exit with its outcome.")
@click.option("--tag", "tags", multiple=True, metavar="K=V", help="Tag the run (repeatable).")
@click.argument("script")
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def run(
    workspace: Workspace,
    experiment: str | None,
    target: str,
    wait: bool,
    tags: tuple[str, ...],
    script: str,
    arguments: tuple[str, ...],
) -> None:
    """Snapshot the current folder and run SCRIPT with ARGS on a compute target.

    With --wait the exit code is the run's: 0 Completed, the script's own exit code (or 1) when
    it Failed, 1 when it was Canceled."""
    from runhistory import Experiment, ScriptRunConfig

    folder = Path.cwd()
    name = experiment or default_experiment_name(folder)
    submitted = Experiment(workspace, name).submit(
        ScriptRunConfig(folder, script, arguments=list(arguments), compute_target=target),
        tags=parse_key_values(tags, "tag"),
    )
    click.echo(f"Run {name}:{submitted.number} ({submitted.id}) is queued on {target}", err=True)
    if not wait:
        return
    try:
        details = submitted.wait_for_completion(show_output=True, raise_on_error=False)
    except KeyboardInterrupt:
        click.echo(
            f"\nThe run goes on; follow it with: runhistory logs {submitted.id} -f", err=True
        )
        click.get_current_context().exit(EXIT_INTERRUPTED)
    status = details["status"]
    if status != "Completed":
        error = details.get("error") or {}
        code = error.get("exitCode")
        click.get_current_context().exit(
            code if isinstance(code, int) and 0 < code < 126 else EXIT_ERROR
        )


def default_experiment_name(folder: Path) -> str:
    """The folder's name made into a valid experiment name."""
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "-", folder.name).strip("-._") or "default"
    return name if name[0].isalnum() else f"x{name}"
