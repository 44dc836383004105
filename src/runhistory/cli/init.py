"""``runhistory init``: create a workspace that ``Workspace()`` finds from here and below."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("init", short_help="Create a workspace in this folder.")
@click.option(
    "--path",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder in which to create .runhistory/.",
)
@click.option(
    "-w",
    "--workspace",
    "workspace_location",
    metavar="LOCATION",
    help="Create the workspace exactly here instead: a folder or a database URL (postgresql://...).",
)
@click.option(
    "--artifacts",
    metavar="LOCATION",
    help="Where a database workspace keeps its files (default: RUNHISTORY_ARTIFACTS).",
)
def init(path: Path, workspace_location: str | None, artifacts: str | None) -> None:
    """Create a workspace: .runhistory/ in the current folder (or --path), found by every
    command and by Workspace() run from that folder or below it."""
    from runhistory.sdk.workspace import DATABASE_FILE, WORKSPACE_FOLDER, Workspace

    location = workspace_location or str(path.resolve() / WORKSPACE_FOLDER)
    workspace = Workspace(location, artifacts=artifacts)
    existed = not workspace.is_embedded or (Path(workspace.location) / DATABASE_FILE).is_file()
    try:
        workspace.store  # noqa: B018 - opening the store creates (or migrates) the workspace
    finally:
        workspace.close()
    if workspace.is_embedded and existed:
        click.echo(f"Workspace already exists in {workspace.location}")
    else:
        click.echo(f"Initialized workspace in {workspace.location}")
