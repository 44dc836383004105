"""``runhistory models list``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from runhistory.cli import output as render
from runhistory.cli.context import (
    CommandGroup,
    experiment_option,
    output_option,
    workspace_command,
)
from runhistory.cli.output import Column
from runhistory.sdk import listing
from runhistory.sdk.run_info import iso_time

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace


@click.group("models", cls=CommandGroup)
def models() -> None:
    """Registered models (see 'history promote')."""


@models.command("list", short_help="List registered model versions.")
@workspace_command
@experiment_option
@click.option("--name", metavar="MODEL", help="Only versions of this model.")
@click.option("--latest", is_flag=True, help="Only the newest version of each model.")
@output_option
def list_models(
    workspace: Workspace, experiment: str | None, name: str | None, latest: bool, output: str
) -> None:
    """Model versions by name, newest version first."""
    found = listing.list_models(workspace, name=name, experiment=experiment, latest=latest)
    records = [
        {
            "name": m.name,
            "version": m.version,
            "id": m.id,
            "runId": m.run_id,
            "path": m.path,
            "files": m.files,
            "createdTimeUtc": iso_time(m.created_time),
            "description": m.description,
            "tags": m.tags,
            "properties": m.properties,
        }
        for m in found
    ]
    if output == "json":
        render.print_json(records)
    elif output == "csv":
        header = list(records[0]) if records else ["name", "version", "id", "runId", "path"]
        render.print_csv(header, [[r[h] for h in header] for r in records])
    else:
        columns = [
            Column("NAME", style="bold", shrink=False),
            Column("VERSION", align="right", shrink=False),
            Column("RUN", shrink=False),
            Column("PATH", max_width=40),
            Column("FILES", align="right", priority=2),
            Column("CREATED", priority=2),
            Column("TAGS", priority=1, max_width=40),
        ]
        rows = [
            [
                m.name,
                str(m.version),
                m.run_id,
                m.path,
                str(len(m.files)),
                render.format_time(m.created_time),
                ", ".join(k if v is None else f"{k}={v}" for k, v in sorted(m.tags.items())) or "-",
            ]
            for m in found
        ]
        render.print_table(columns, rows, caption=None if rows else "no models registered yet")
