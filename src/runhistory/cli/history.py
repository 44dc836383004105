"""``runhistory history ...``: list, inspect, compare, download, restore and promote runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from runhistory.cli import output as render
from runhistory.cli.context import (
    EXIT_ERROR,
    CommandGroup,
    experiment_option,
    output_option,
    parse_key_values,
    workspace_command,
)
from runhistory.cli.output import STATUS_STYLES, Column
from runhistory.model import RunStatus
from runhistory.sdk import listing
from runhistory.sdk.comparison import compare_runs
from runhistory.sdk.downloads import download_run_files, run_files
from runhistory.sdk.references import latest_run, resolve_run
from runhistory.sdk.run_info import (
    last_values,
    run_duration,
    run_info,
    run_summary,
    scalar_metric_names,
)
from runhistory.sdk.snapshot_restore import plan_restore, restore_run_snapshot

if TYPE_CHECKING:
    from runhistory.model import RunRecord
    from runhistory.sdk.comparison import RunComparison
    from runhistory.sdk.workspace import Workspace

_ABSENT = object()
# A terminal shows the newest runs only, unless --limit says otherwise; piped output is complete.
TERMINAL_LIMIT = 50
_LIST_FIELDS = (
    "runId",
    "runNumber",
    "experiment",
    "displayName",
    "status",
    "createdTimeUtc",
    "startTimeUtc",
    "endTimeUtc",
    "duration",
    "scriptName",
    "target",
    "arguments",
    "parentRunId",
)


@click.group(
    "history",
    cls=CommandGroup,
    short_help="List, inspect, compare, download, restore, promote runs.",
)
def history() -> None:
    """Runs of the workspace: list, inspect, compare, download, restore, promote.

    RUN is a run id, EXPERIMENT:NUMBER (as in the RUN column of 'history list') or a unique
    prefix of a run id."""


@history.command("list", short_help="List runs with their metrics, newest first.")
@workspace_command
@experiment_option
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in RunStatus], case_sensitive=False),
    metavar="STATUS",
    help="Only runs with this status, e.g. Completed, Failed, Running (repeatable).",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="KEY[=VALUE]",
    help="Only runs with this tag (repeatable).",
)
@click.option(
    "--where",
    "conditions",
    multiple=True,
    metavar="CONDITION",
    help="Only runs for which FIELD OP VALUE holds, e.g. 'metric:acc >= 0.9' (repeatable).",
)
@click.option(
    "--sort",
    metavar="EXPR",
    help="Order, e.g. 'metric:mse asc' or 'duration desc, created' (default: newest first).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help=f"At most this many runs, 0 for all (default: all; {TERMINAL_LIMIT} on a terminal).",
)
@click.option(
    "-m",
    "--metric",
    "metrics",
    multiple=True,
    metavar="PATTERN",
    help="Metric columns to show, as names or globs such as 'val_*' (repeatable; default: all).",
)
@click.option("--top-level", is_flag=True, help="Leave out child runs.")
@output_option
def list_runs(
    workspace: Workspace,
    experiment: str | None,
    statuses: tuple[str, ...],
    tags: tuple[str, ...],
    conditions: tuple[str, ...],
    sort: str | None,
    limit: int | None,
    metrics: tuple[str, ...],
    top_level: bool,
    output: str,
) -> None:
    """Runs with the last value of each scalar metric, newest first."""
    terminal_default = limit is None and output == "table" and render.is_terminal()
    wanted = TERMINAL_LIMIT + 1 if terminal_default else (limit or None)
    records = listing.list_runs(
        workspace,
        experiment=experiment,
        statuses=statuses,
        tags=parse_key_values(tags, "--tag"),
        where=conditions,
        sort=sort,
        limit=wanted,
        include_children=not top_level,
    )
    more = terminal_default and len(records) > TERMINAL_LIMIT
    records = records[:TERMINAL_LIMIT] if more else records
    names = scalar_metric_names(records, metrics)
    if output == "json":
        render.print_json([_with_metrics(run_summary(r), names) for r in records])
    elif output == "csv":
        _print_runs_csv(records, names)
    else:
        caption = None
        if more:
            caption = f"newest {TERMINAL_LIMIT} runs shown; --limit N shows more (0: all)"
        elif not records:
            caption = "no runs match" if (statuses or tags or conditions) else "no runs yet"
        _print_runs_table(records, names, caption)


def _with_metrics(summary: dict[str, Any], names: list[str]) -> dict[str, Any]:
    summary["metrics"] = {n: summary["metrics"][n] for n in names if n in summary["metrics"]}
    return summary


def _print_runs_table(records: list[RunRecord], names: list[str], caption: str | None) -> None:
    named = any(r.display_name for r in records)
    columns = [
        Column("RUN", style="bold", shrink=False),
        # On a narrow terminal the metrics matter more; RUN names the run as well as its id does.
        Column("ID", shrink=False, priority=3),
        *([Column("NAME", max_width=24, priority=2)] if named else []),
        Column("STATUS", styles=STATUS_STYLES),
        Column("STARTED"),
        Column("DURATION", align="right"),
        Column("SCRIPT", max_width=24, priority=4),
        *(Column(name, align="right", priority=1, max_width=14) for name in names),
    ]
    render.print_columns(
        columns,
        _runs_table_cells(records, names, named),
        caption=caption,
        hint="choose metrics with --metric, ",
    )


def _runs_table_cells(records: list[RunRecord], names: list[str], named: bool) -> list[list[str]]:
    """The cells of 'history list', built a column at a time (the fast way for 10,000 runs)."""
    format_value, format_time, format_duration = (
        render.format_value,
        render.format_time,
        render.format_duration,
    )
    now = time.time()
    cells = [
        [f"{r.experiment_name}:{r.number}" for r in records],
        [r.id for r in records],
        *([[r.display_name or "-" for r in records]] if named else []),
        [r.status.value for r in records],
        [format_time(r.started) for r in records],
        [format_duration(run_duration(r, now)) for r in records],
        [r.script_name or "-" for r in records],
    ]
    lasts = [last_values(r) for r in records]
    for name in names:
        column = []
        for values in lasts:
            value = values.get(name, _ABSENT)
            if type(value) is float:  # the common case, without a call
                column.append(f"{value:.6g}")
            else:
                column.append("-" if value is _ABSENT else format_value(value))
        cells.append(column)
    return cells


def _print_runs_csv(records: list[RunRecord], names: list[str]) -> None:
    tag_keys = sorted({k for r in records for k in r.tags})
    property_keys = sorted({k for r in records for k in r.properties})
    header = [
        *_LIST_FIELDS,
        *(f"metrics.{n}" for n in names),
        *(f"tags.{k}" for k in tag_keys),
        *(f"properties.{k}" for k in property_keys),
    ]
    rows = []
    for record in records:
        summary = run_summary(record)
        rows.append(
            [
                *(summary[f] for f in _LIST_FIELDS),
                *(summary["metrics"].get(n) for n in names),
                *(record.tags.get(k) for k in tag_keys),
                *(record.properties.get(k) for k in property_keys),
            ]
        )
    render.print_csv(header, rows)


@history.command("info", short_help="Show one run as JSON.")
@workspace_command
@click.argument("run")
def info(workspace: Workspace, run: str) -> None:
    """One run as JSON: metrics, files, times, duration, status, ids, tags and properties."""
    render.print_json(run_info(resolve_run(workspace, run)))


@history.command("last", short_help="Show the newest run as JSON.")
@workspace_command
@experiment_option
def last(workspace: Workspace, experiment: str | None) -> None:
    """The newest top-level run as JSON, like 'history info'."""
    render.print_json(run_info(latest_run(workspace, experiment)))


@history.command("compare", short_help="Show runs side by side, differences marked.")
@workspace_command
@click.argument("runs", nargs=-1, required=True)
@click.option("--only-differences", "-d", is_flag=True, help="Show only the rows that differ.")
@output_option
def compare(
    workspace: Workspace, runs: tuple[str, ...], only_differences: bool, output: str
) -> None:
    """Two or more runs side by side: metrics (last values), arguments, tags, properties and
    files; rows that differ are marked."""
    if len(runs) < 2:
        raise click.UsageError("compare needs at least two runs")
    comparison = compare_runs(workspace, runs)
    if only_differences:
        for section, fields in comparison.sections.items():
            comparison.sections[section] = [f for f in fields if f.differs]
    if output == "json":
        render.print_json(comparison.to_dict())
        return
    headers = [f"{r.experiment_name}:{r.number}" for r in comparison.runs]
    rows, marked, ends = _comparison_rows(comparison)
    if output == "csv":
        render.print_csv(
            ["section", "field", *headers, "differs"],
            [[row[0], row[1], *row[2:-1], "yes" if row[-1] else "no"] for row in rows],
        )
        return
    terminal = render.is_terminal()
    columns = [
        Column("" if terminal else "DIFF", style="bold yellow", shrink=False),
        Column("SECTION", style="bold", shrink=False),
        Column("FIELD", max_width=32),
        *(Column(h, max_width=40) for h in headers),
    ]
    shown = [
        [
            ("≠" if terminal else "*") if row[-1] else "",
            "" if terminal and i and rows[i - 1][0] == row[0] else row[0],
            *row[1:-1],
        ]
        for i, row in enumerate(rows)
    ]
    render.print_table(columns, shown, marked_rows=marked, section_ends=ends)


def _comparison_rows(
    comparison: RunComparison,
) -> tuple[list[list[Any]], frozenset[int], frozenset[int]]:
    rows: list[list[Any]] = []
    marked: set[int] = set()
    ends: set[int] = set()
    for section, fields in comparison.sections.items():
        for field in fields:
            if field.differs:
                marked.add(len(rows))
            cells = [_comparison_cell(section, v, field.kind) for v in field.values]
            rows.append([section, field.name, *cells, field.differs])
        if fields:
            ends.add(len(rows) - 1)
    return rows, frozenset(marked), frozenset(ends)


def _comparison_cell(section: str, value: Any, kind: str | None) -> str:
    if value is None:
        return "-"
    if section == "metrics" and kind == "table":
        return f"{value['count']} rows"
    if section == "metrics":
        return render.format_value(value["last"])
    if section == "files":
        return f"{render.format_size(value['size'])} {value['sha256'][:8]}"
    if section == "run" and isinstance(value, float):
        return render.format_duration(value)
    if value is True:
        return "(set)"
    if value == "" and section == "tags":
        return "(no value)"
    return render.format_value(value)


@history.command("download", short_help="Download a run's files.")
@workspace_command
@click.argument("run")
@click.option("--prefix", metavar="PREFIX", help="Only files whose names start with PREFIX.")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to download into (default: ./RUN_ID).",
)
def download(workspace: Workspace, run: str, prefix: str | None, dest: Path | None) -> None:
    """Download a run's files (outputs, logs, images, ...), keeping their folders."""
    found = resolve_run(workspace, run)
    files = run_files(found, prefix)
    destination = dest if dest is not None else Path(found.id)
    total = sum(f.size for f in files)
    if render.is_terminal():
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
        )
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task(f"{found.id}", total=total)
            for _ in download_run_files(
                found, files, destination, lambda n: progress.advance(task, n)
            ):
                pass
    else:
        for path, file in download_run_files(found, files, destination):
            click.echo(f"{path}  ({render.format_size(file.size)})")
    click.echo(
        f"Downloaded {render.count(len(files), 'file')} ({render.format_size(total)}) of run {found.id} "
        f"into {destination}"
    )


@history.command("restore", short_help="Restore a run's source snapshot into a folder.")
@workspace_command
@click.argument("run")
@click.option(
    "--path",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to restore the run's source snapshot into.",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask before overwriting or removing files.")
@click.option(
    "--keep-extra",
    is_flag=True,
    help="Keep files of the folder that are not in the snapshot (default: remove them).",
)
def restore(workspace: Workspace, run: str, path: Path, yes: bool, keep_extra: bool) -> None:
    """Restore a run's source snapshot into a folder.

    Files that would change, and files the snapshot does not have (removed unless --keep-extra;
    files the ignore rules leave out of snapshots are never touched), are listed first and the
    command asks before going on."""
    found = resolve_run(workspace, run)
    plan = plan_restore(found, path)
    removing = [] if keep_extra else plan.extra
    if (plan.overwrite or removing) and not yes:
        click.echo(f"Restoring the snapshot of run {found.id} into {plan.folder} would")
        if plan.overwrite:
            click.echo(f"  overwrite {render.count(len(plan.overwrite), 'file')}:")
            for name in plan.overwrite:
                click.echo(f"    M {name}")
        if removing:
            click.echo(f"  remove {render.count(len(removing), 'file')} not in the snapshot:")
            for name in removing:
                click.echo(f"    D {name}")
        try:
            confirmed = click.confirm("Go on?", default=False)
        except click.Abort:
            confirmed = False
            click.echo()
        if not confirmed:
            click.echo("Nothing was changed.", err=True)
            click.get_current_context().exit(EXIT_ERROR)
    restore_run_snapshot(workspace, plan, remove_extra=not keep_extra)
    removed = f", removed {len(removing)}" if removing else ""
    click.echo(
        f"Restored {render.count(len(plan.files), 'file')} of run {found.id} into {plan.folder} "
        f"({len(plan.overwrite)} overwritten{removed})"
    )


@history.command("promote", short_help="Register a run's file as a model version.")
@workspace_command
@click.argument("run")
@click.argument("artifact")
@click.option("--name", "model_name", required=True, metavar="MODEL", help="The model's name.")
@click.option("--tag", "tags", multiple=True, metavar="KEY[=VALUE]", help="Tag the model version.")
@click.option("--description", help="A description of the model version.")
def promote(
    workspace: Workspace,
    run: str,
    artifact: str,
    model_name: str,
    tags: tuple[str, ...],
    description: str | None,
) -> None:
    """Register a file (or folder prefix) of a run as the next version of a model."""
    model = resolve_run(workspace, run).register_model(
        model_name, artifact, tags=parse_key_values(tags, "--tag"), description=description
    )
    click.echo(
        f"Registered {model.name} version {model.version} from run {model.run_id} "
        f"({render.count(len(model.files), 'file')} under {model.path})"
    )
