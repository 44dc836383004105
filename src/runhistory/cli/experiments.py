"""``runhistory experiments list``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from runhistory.cli import output as render
from runhistory.cli.context import CommandGroup, output_option, workspace_command
from runhistory.cli.output import Column
from runhistory.sdk import listing
from runhistory.sdk.run_info import iso_time

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace


@click.group("experiments", cls=CommandGroup)
def experiments() -> None:
    """Experiments of the workspace."""


@experiments.command("list", short_help="List experiments with their run counts.")
@workspace_command
@click.option(
    "-e", "--experiment", "pattern", metavar="PATTERN", help="Only names matching this glob."
)
@click.option(
    "--view",
    type=click.Choice(["active", "archived", "all"]),
    default="active",
    show_default=True,
    help="Active experiments, archived ones, or all.",
)
@output_option
def list_experiments(workspace: Workspace, pattern: str | None, view: str, output: str) -> None:
    """Experiments by name, with their run counts."""
    found = listing.list_experiments(workspace, pattern, view)
    records = [
        {
            "name": e.name,
            "id": e.id,
            "runCount": e.run_count,
            "createdTimeUtc": iso_time(e.created),
            "archived": e.archived,
            "tags": e.tags,
        }
        for e in found
    ]
    if output == "json":
        render.print_json(records)
    elif output == "csv":
        header = ["name", "id", "runCount", "createdTimeUtc", "archived", "tags"]
        render.print_csv(header, [[r[h] for h in header] for r in records])
    else:
        columns = [
            Column("NAME", style="bold", shrink=False),
            Column("RUNS", align="right"),
            Column("CREATED"),
            *([Column("ARCHIVED")] if view != "active" else []),
            Column("TAGS", priority=1, max_width=40),
        ]
        rows = [
            [
                e.name,
                str(e.run_count),
                render.format_time(e.created),
                *(["yes" if e.archived else "no"] if view != "active" else []),
                _tags(e.tags),
            ]
            for e in found
        ]
        render.print_table(columns, rows, caption=None if rows else "no experiments yet")


def _tags(tags: dict[str, str | None]) -> str:
    return ", ".join(k if v is None else f"{k}={v}" for k, v in sorted(tags.items())) or "-"
