"""What every command shares: the workspace options, opening the workspace, and turning errors
into one ``error: ...`` line and a documented exit code.

Exit codes (``docs/cli.md``): 0 success, 1 error (or a question answered "no"), 2 usage error,
3 not found, 4 conflict with what is stored, 5 store unreachable, 130 interrupted.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runhistory.errors import ConflictError, NotFoundError, RunHistoryError, StoreError

if TYPE_CHECKING:
    from runhistory.sdk.workspace import Workspace

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFLICT = 4
EXIT_STORE = 5
EXIT_INTERRUPTED = 130

OUTPUT_FORMATS = ("table", "json", "csv")


def exit_code(error: RunHistoryError) -> int:
    """The exit code for an error the library raised."""
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, ConflictError):
        return EXIT_CONFLICT
    if isinstance(error, StoreError):
        return EXIT_STORE
    return EXIT_ERROR


class CommandGroup(click.Group):
    """A click group that reports library and file-system errors as ``error: message``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RunHistoryError as error:
            click.echo(f"error: {error.message}", err=True)
            ctx.exit(exit_code(error))
        except BrokenPipeError:
            raise  # output piped into 'head' and the like: click ends quietly
        except OSError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_ERROR)


def open_workspace(location: str | None, artifacts: str | None) -> Workspace:
    """The workspace at ``location`` (default: as ``Workspace()``), which must exist already:
    a command that reads runs does not create an empty workspace where there was none."""
    from runhistory.errors import WorkspaceNotFoundError
    from runhistory.sdk.workspace import DATABASE_FILE, Workspace

    workspace = Workspace(location, artifacts=artifacts)
    if workspace.is_embedded and not (Path(workspace.location) / DATABASE_FILE).is_file():
        if location is None and workspace.settings.workspace is None:
            raise WorkspaceNotFoundError(
                f"no workspace here: no .runhistory folder in {os.getcwd()} or its parents; "
                "run 'runhistory init' to create one, or pass -w LOCATION"
            )
        raise WorkspaceNotFoundError(
            f"no workspace at {workspace.location}; create one with "
            f"'runhistory init -w {workspace.location}' or check the location"
        )
    return workspace


def workspace_command(function: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--workspace/-w`` and ``--artifacts`` to a command and pass it the opened workspace
    as its first argument (closed when the command ends)."""

    @click.option(
        "-w",
        "--workspace",
        "workspace_location",
        metavar="LOCATION",
        help="Workspace folder or database URL (postgresql://...). Default: RUNHISTORY_WORKSPACE, "
        "else the nearest .runhistory folder walking up from here.",
    )
    @click.option(
        "--artifacts",
        metavar="LOCATION",
        help="Where a database workspace keeps its files (default: RUNHISTORY_ARTIFACTS).",
    )
    @functools.wraps(function)
    def command(workspace_location: str | None, artifacts: str | None, **kwargs: Any) -> Any:
        workspace = open_workspace(workspace_location, artifacts)
        click.get_current_context().call_on_close(workspace.close)
        return function(workspace, **kwargs)

    return command


output_option = click.option(
    "-o",
    "--output",
    type=click.Choice(OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="Output format: a table (plain aligned text when piped), JSON or CSV.",
)

experiment_option = click.option(
    "-e", "--experiment", metavar="NAME", help="Only runs of this experiment."
)


def parse_key_values(pairs: tuple[str, ...], what: str) -> dict[str, str | None]:
    """``("k=v", "flag")`` -> ``{"k": "v", "flag": None}``."""
    found: dict[str, str | None] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE or KEY", param_hint=what)
        found[key] = value if equals else None
    return found
