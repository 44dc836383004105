"""Rendering for every command: tables, JSON and CSV, on a terminal or into a pipe.

On a terminal a table is drawn with rich, fitted to the window (optional columns that do not fit
are left out and named in a note). Piped, it is plain aligned text: every column, no colours, no
truncation, the same bytes every time. JSON and CSV use the standard library, so a command whose
output is piped never imports rich.
"""

from __future__ import annotations

import csv
import dataclasses
import itertools
import json
import math
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

import click

# Above this many rows rich takes seconds to lay a table out; plain text is drawn instead.
RICH_ROW_LIMIT = 300
# Likewise for highlighting JSON, above this many characters.
RICH_JSON_LIMIT = 200_000
_GAP = "  "


@dataclasses.dataclass
class Column:
    """A table column. On a terminal too narrow for every column, those with ``priority`` 0 are
    always shown and the others are added in order of priority (then position) while they fit;
    ``max_width`` truncates cells on a terminal only, as does a terminal too narrow for the table,
    except in columns that must not ``shrink`` (ids); ``styles`` maps a cell's text to a rich style."""

    header: str
    align: str = "left"
    priority: int = 0
    max_width: int | None = None
    shrink: bool = True
    style: str | None = None
    styles: Mapping[str, str] | None = None


def is_terminal() -> bool:
    return sys.stdout.isatty()


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    caption: str | None = None,
    hint: str = "",
    marked_rows: frozenset[int] = frozenset(),
    section_ends: frozenset[int] = frozenset(),
) -> None:
    """Print ``rows`` (cells already formatted as text) under ``columns``. On a terminal,
    ``marked_rows`` (indexes) are highlighted and ``section_ends`` draw a rule after a row;
    ``hint`` starts the advice given when columns did not fit."""
    cells = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in columns]
    print_columns(
        columns,
        cells,
        caption=caption,
        hint=hint,
        marked_rows=marked_rows,
        section_ends=section_ends,
    )


def print_columns(
    columns: Sequence[Column],
    cells: Sequence[Sequence[str]],
    *,
    caption: str | None = None,
    hint: str = "",
    marked_rows: frozenset[int] = frozenset(),
    section_ends: frozenset[int] = frozenset(),
) -> None:
    """``print_table`` with the cells given a column at a time (``cells[column][row]``).
    An empty listing prints its caption (``no runs yet``), not a header over nothing."""
    if not cells or not cells[0]:
        click.echo(caption or "nothing to list")
        return
    if not is_terminal():
        _print_plain(columns, cells)
        return
    from rich.console import Console

    console = Console()
    kept, dropped = _fit(columns, cells, console.width)
    shown = [columns[i] for i in kept]
    if cells and len(cells[0]) > RICH_ROW_LIMIT:
        _print_plain(shown, [cells[i] for i in kept])
    else:
        rows = list(zip(*(cells[i] for i in kept), strict=True))
        console.print(_rich_table(shown, rows, marked_rows, section_ends))
    notes = [caption] if caption else []
    if dropped:
        names = ", ".join(columns[i].header for i in dropped[:8])
        more = f" and {len(dropped) - 8} more" if len(dropped) > 8 else ""
        notes.append(
            f"{len(dropped)} columns did not fit the terminal ({names}{more}); "
            f"{hint}widen the window or use -o csv"
        )
    for note in notes:
        console.print(note, style="dim", highlight=False)


def _print_plain(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> None:
    padded = []
    for column, values in zip(columns, cells, strict=True):
        width = max(len(column.header), max(map(len, values), default=0))
        pad = str.rjust if column.align == "right" else str.ljust
        padded.append([pad(column.header, width), *map(pad, values, itertools.repeat(width))])
    lines = [_GAP.join(line).rstrip() for line in zip(*padded, strict=True)]
    sys.stdout.write("\n".join(lines) + "\n")


def _fit(
    columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int
) -> tuple[list[int], list[int]]:
    """Indexes of the columns to show within ``width``, and of the optional ones left out."""
    needed = []
    for column, values in zip(columns, cells, strict=True):
        natural = max(len(column.header), max(map(len, values[:RICH_ROW_LIMIT]), default=0))
        needed.append(min(natural, column.max_width or natural) + len(_GAP))
    total = sum(n for n, c in zip(needed, columns, strict=True) if not c.priority)
    kept = [i for i, c in enumerate(columns) if not c.priority]
    dropped: list[int] = []
    for index in sorted(
        (i for i, c in enumerate(columns) if c.priority), key=lambda i: (columns[i].priority, i)
    ):
        if not dropped and total + needed[index] <= width:
            kept.append(index)
            total += needed[index]
        else:
            dropped.append(index)
    kept.sort()
    return kept, dropped


def _rich_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    marked_rows: frozenset[int],
    section_ends: frozenset[int],
) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for index, column in enumerate(columns):
        natural = max([len(column.header), *(len(row[index]) for row in rows)])
        table.add_column(
            column.header,
            justify="right" if column.align == "right" else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=column.max_width,
            min_width=None if column.shrink else natural,
            style=column.style,
            header_style="bold cyan" if column.priority == 1 else "bold",
        )
    for number, row in enumerate(rows):
        cells = [
            Text(cell, style=(column.styles or {}).get(cell, ""))
            for cell, column in zip(row, columns, strict=True)
        ]
        table.add_row(
            *cells,
            style="yellow" if number in marked_rows else None,
            end_section=number in section_ends,
        )
    return table


def print_json(data: Any) -> None:
    """Strict JSON (NaN and infinities become the strings "NaN", "Infinity", "-Infinity"): an
    object indented, a list with one element per line; highlighted on a terminal."""
    if isinstance(data, list):
        body = ",\n".join("  " + _dumps(item, None) for item in data)
        text = f"[\n{body}\n]" if data else "[]"
    else:
        text = _dumps(data, 2)
    if is_terminal() and len(text) < RICH_JSON_LIMIT:
        from rich.console import Console

        Console().print_json(text)
    else:
        sys.stdout.write(text + "\n")


def _dumps(value: Any, indent: int | None) -> str:
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False, default=str)
    except ValueError:  # a NaN or an infinity somewhere: JSON has no literal for them
        return json.dumps(json_safe(value), indent=indent, ensure_ascii=False, default=str)


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats replaced by strings, so that any JSON parser reads it."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def print_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """CSV with a header row; None is an empty cell, lists and dicts are JSON, floats full precision."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    # The csv module writes None as an empty cell and numbers with repr's precision itself.
    writer.writerows(
        [csv_cell(v) if isinstance(v, (dict, list, tuple)) else v for v in row] for row in rows
    )


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list, tuple)):
        return _dumps(value, None)
    return str(value)


# cells ------------------------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A metric value for a table cell: six significant digits, ``-`` when absent."""
    if type(value) is float:
        return f"{value:.6g}"
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    text = str(value)
    return text.replace("\n", " ") if text else '""'


def format_duration(seconds: float | None) -> str:
    """``4.2s``, ``3m 07s``, ``2h 05m``, ``3d 04h``; ``-`` before a run starts."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_time(timestamp: float | None, _minutes: dict[int, str] = {}) -> str:  # noqa: B006
    """Local time, to the minute: ``2024-05-01 14:03`` (JSON and CSV carry exact UTC times)."""
    if timestamp is None:
        return "-"
    # Runs of a listing mostly share their minutes; formatting each minute once is 3x faster.
    minute = int(timestamp // 60)
    text = _minutes.get(minute)
    if text is None:
        text = _minutes[minute] = time.strftime("%Y-%m-%d %H:%M", time.localtime(minute * 60))
    return text


def format_size(size: int) -> str:
    """A size in decimal units, as rich writes them everywhere in the product: ``512 bytes``,
    ``1.5 kB``, ``3.2 MB``."""
    from rich.filesize import decimal

    return decimal(size)


def count(number: int, noun: str) -> str:
    """``count(1, "file")`` -> ``'1 file'``; ``count(3, "file")`` -> ``'3 files'``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


STATUS_STYLES = {
    "Completed": "green",
    "Failed": "bold red",
    "Canceled": "dim",
    "CancelRequested": "yellow",
    "Running": "blue",
    "Queued": "cyan",
    "Preparing": "cyan",
    "Starting": "cyan",
    "Finalizing": "blue",
    "NotResponding": "magenta",
    "NotStarted": "dim",
}
