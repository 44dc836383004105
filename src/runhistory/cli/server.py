"""``runhistory server`` (a team server over a database and a file store), ``runhistory ui``
(the same app over the embedded workspace), ``runhistory token`` (the server's API tokens) and
``runhistory db upgrade`` (migrations, which also run when a server starts).
Opening the store migrates it before serving."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from runhistory.server.tokens import TokenStore
    from runhistory.store.sql.database import Database

DEFAULT_PORT = 5000


@click.command("server", short_help="Serve a workspace to a team over HTTP.")
@click.option(
    "--store",
    "store_location",
    required=True,
    metavar="URL",
    help="Database URL (postgresql://..., sqlite:///...) or workspace folder.",
)
@click.option(
    "--artifacts",
    metavar="URL",
    help="Where run files go: a folder, az://container/prefix or s3://bucket/prefix "
    "(required with a database URL; default: RUNHISTORY_ARTIFACTS).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes (stateless; they share the database).",
)
@click.option(
    "--auth",
    is_flag=True,
    help="Refuse requests (but health) without a token from 'runhistory token create'.",
)
def server(
    store_location: str, artifacts: str | None, host: str, port: int, workers: int, auth: bool
) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /docs) over a store and a file store."""
    from runhistory.settings import Settings

    settings = dataclasses.replace(
        Settings.from_env(),
        workspace=store_location,
        artifacts=artifacts or Settings.from_env().artifacts,
    )
    serve(settings, host, port, workers, auth)


@click.command("ui", short_help="Serve the embedded workspace on this machine.")
@click.option(
    "-w",
    "--workspace",
    "workspace_location",
    metavar="LOCATION",
    help="Workspace folder (default: RUNHISTORY_WORKSPACE, else the nearest .runhistory folder).",
)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
def ui(workspace_location: str | None, port: int) -> None:
    """Serve the workspace on 127.0.0.1 (the API under /api/v1)."""
    from runhistory.cli.context import open_workspace

    workspace = open_workspace(workspace_location, None)
    settings = dataclasses.replace(workspace.settings, workspace=workspace.location)
    workspace.close()
    serve(settings, "127.0.0.1", port, 1, False)


def serve(settings: object, host: str, port: int, workers: int, auth: bool) -> None:
    """Migrate the store, then serve ``create_app(settings)`` until interrupted."""
    import uvicorn

    from runhistory.server.app import create_app, open_server_store
    from runhistory.settings import Settings

    assert isinstance(settings, Settings)
    open_server_store(settings).close()  # creates or migrates the database once, up front
    security = "tokens required" if auth else "no auth"
    click.echo(
        f"runhistory serving {settings.workspace} on http://{host}:{port} ({security})", err=True
    )
    config = uvicorn.Config(
        functools.partial(create_app, settings, auth=auth),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
    if workers == 1:
        uvicorn.Server(config).run()
        return
    from uvicorn.supervisors import Multiprocess

    socket = config.bind_socket()
    Multiprocess(config, sockets=[socket]).run()


store_option = click.option(
    "--store",
    "store_location",
    required=True,
    metavar="URL",
    help="The server's database URL or workspace folder.",
)


@click.group("token", short_help="Create, list and revoke the server's API tokens.")
def token() -> None:
    """API tokens of a server started with --auth. Scopes nest: admin > write > read."""


@token.command("create")
@store_option
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["read", "write", "admin"]),
    default=("read",),
    show_default=True,
    help="What the token may do (repeatable).",
)
def create_token(store_location: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create a token called NAME and print it (it is shown only this once)."""
    with _tokens(store_location) as tokens:
        secret, record = tokens.create(name, scopes)
    click.echo(f"created token {record.id} ({name}, scopes {','.join(record.scopes)}):", err=True)
    click.echo(secret)


@token.command("list")
@store_option
def list_tokens(store_location: str) -> None:
    """List tokens: id, name, scopes, created, revoked."""
    from datetime import datetime

    with _tokens(store_location) as tokens:
        records = tokens.list()
    for record in records:
        created = datetime.fromtimestamp(record.created).isoformat(timespec="seconds")
        revoked = "revoked" if record.revoked is not None else "active"
        click.echo(f"{record.id}  {record.name}  {','.join(record.scopes)}  {created}  {revoked}")


@token.command("revoke")
@store_option
@click.argument("token_id")
def revoke_token(store_location: str, token_id: str) -> None:
    """Revoke the token TOKEN_ID; requests with it are refused from now on."""
    with _tokens(store_location) as tokens:
        tokens.revoke(token_id)
    click.echo(f"revoked token {token_id}", err=True)


@click.group("db", short_help="Database schema of a workspace or server.")
def db() -> None:
    """The database schema: servers and workspaces migrate on open; 'upgrade' does it now."""


@db.command("upgrade")
@store_option
def upgrade_database(store_location: str) -> None:
    """Migrate the database to the schema of this runhistory (a no-op when it is there)."""
    from runhistory.store.sql.migrate import SCHEMA_REVISION, current_revision, ensure_schema

    with _database(store_location) as database:
        before = current_revision(database)
        ensure_schema(database)
    if before == SCHEMA_REVISION:
        click.echo(f"database is at revision {SCHEMA_REVISION} already")
    else:
        click.echo(f"database upgraded from revision {before or 'none'} to {SCHEMA_REVISION}")


@contextlib.contextmanager
def _database(store_location: str) -> Iterator[Database]:
    """The database of ``store_location``: a database URL or a workspace folder."""
    from pathlib import Path

    from runhistory.sdk.workspace import DATABASE_FILE
    from runhistory.store.sql.database import Database

    url = store_location
    if "://" not in url:
        folder = Path(url).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / DATABASE_FILE}"
    database = Database.open(url)
    try:
        yield database
    finally:
        database.close()


@contextlib.contextmanager
def _tokens(store_location: str) -> Iterator[TokenStore]:
    """The tokens in the database of ``store_location`` (migrated first, like the server)."""
    from runhistory.server.tokens import TokenStore
    from runhistory.store.sql.migrate import ensure_schema

    with _database(store_location) as database:
        ensure_schema(database)
        yield TokenStore(database)
