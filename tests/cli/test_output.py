"""How output looks: rich tables fitted to a real terminal, plain text when piped, strict JSON."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from runhistory import Experiment, RunStatus, Workspace
from runhistory.cli.output import format_duration, format_size, format_value, json_safe
from runhistory.model import MetricKind
from runhistory.store.base import MetricAppend, WriteBatch
from tests.cli.conftest import BIN, rh
from tests.conftest import isolated_settings
from tests.sdk.conftest import Populated

_ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def in_terminal(*args: str, columns: int = 120) -> str:
    """The output of the command run on a pseudo-terminal ``columns`` wide, colours removed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNHISTORY_")}
    environment.update(TERM="xterm-256color", COLUMNS=str(columns))
    environment.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [str(BIN / "runhistory"), *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=environment,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=30)
    os.close(leader)
    raw = b"".join(chunks).decode()
    assert "\x1b[" in raw, "expected colours on a terminal"
    return _ANSI.sub("", raw).replace("\r\n", "\n")


def many_metric_workspace(folder: Path, runs: int, metrics: int) -> Workspace:
    workspace = Workspace(folder / ".runhistory", settings=isolated_settings())
    experiment = Experiment(workspace, "wide")
    store = workspace.store
    now = time.time()
    for _ in range(runs):
        run = store.create_run(
            experiment.id, status=RunStatus.RUNNING, run_type="interactive", started=now
        )
        store.append(
            WriteBatch(
                metrics=[
                    MetricAppend(run.id, f"metric_{j:02d}", MetricKind.SCALAR, "", [j / 7], [now])
                    for j in range(metrics)
                ]
            )
        )
        store.set_status(run.id, RunStatus.COMPLETED, ended=now + 1)
    return workspace


def test_list_on_a_terminal_is_a_rich_table(populated: Populated) -> None:
    screen = in_terminal("history", "list", "-w", populated.location, columns=140)

    lines = screen.splitlines()
    assert lines[0].split() == [
        "RUN", "ID", "NAME", "STATUS", "STARTED", "DURATION", "SCRIPT", "acc", "loss", "note",
    ]  # fmt: skip
    assert set(lines[1].strip()) == {"─"}
    assert lines[2].split()[0] == "other:1"
    assert "first try" in screen


def test_twenty_five_metrics_fit_a_narrow_terminal(tmp_path: Path) -> None:
    workspace = many_metric_workspace(tmp_path, runs=3, metrics=25)
    workspace.close()

    screen = in_terminal("history", "list", "-w", workspace.location, columns=100)

    lines = screen.splitlines()
    assert all(len(line) <= 100 for line in lines)
    header = lines[0].split()
    # Metrics come before the run id and the script: RUN names the run well enough.
    assert header[:4] == ["RUN", "STATUS", "STARTED", "DURATION"]
    shown = header[4:]
    assert shown == [f"metric_{j:02d}" for j in range(len(shown))] and len(shown) >= 4
    left_out = 25 - len(shown) + 2  # the metrics that did not fit, ID and SCRIPT
    assert f"{left_out} columns did not fit the terminal" in screen
    assert lines[2].split()[:2] == ["wide:3", "Completed"]
    # Piped, every column is there.
    piped = rh("history", "list", "-w", workspace.location).stdout.splitlines()
    assert len(piped[0].split()) == 6 + 25


def test_a_terminal_shows_the_newest_runs_unless_told(tmp_path: Path) -> None:
    workspace = many_metric_workspace(tmp_path, runs=53, metrics=1)
    workspace.close()

    default = in_terminal("history", "list", "-w", workspace.location)
    everything = in_terminal("history", "list", "-w", workspace.location, "--limit", "0")
    piped = rh("history", "list", "-w", workspace.location).stdout

    assert "newest 50 runs shown; --limit N shows more" in default
    assert sum(1 for line in default.splitlines() if line.startswith("wide:")) == 50
    assert sum(1 for line in everything.splitlines() if line.startswith("wide:")) == 53
    assert len(piped.splitlines()) == 54


def test_info_on_a_terminal_is_highlighted_json(populated: Populated) -> None:
    screen = in_terminal("history", "info", "sweep:2", "-w", populated.location)

    assert json.loads(screen)["runId"] == populated.child.id


def test_compare_on_a_terminal_marks_differences(populated: Populated) -> None:
    screen = in_terminal("history", "compare", "sweep:1", "sweep:3", "-w", populated.location)

    rows = [line.split() for line in screen.splitlines()]
    assert ["≠", "status", "Completed", "Failed"] in rows
    assert ["target", "local", "local"] in rows


def test_download_on_a_terminal_shows_progress_then_a_summary(
    populated: Populated, tmp_path: Path
) -> None:
    screen = in_terminal(
        "history", "download", "sweep:1", "--dest", str(tmp_path / "d"), "-w", populated.location
    )

    assert "Downloaded 6 files" in screen
    assert (tmp_path / "d" / "outputs" / "model.pkl").is_file()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.123456789, "0.123457"),
        (12, "12"),
        (None, "-"),
        (True, "true"),
        (float("nan"), "nan"),
        ("two\nlines", "two lines"),
        ({"p": 0.5, "r": 1}, "p=0.5, r=1"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_format_duration_and_size() -> None:
    assert [format_duration(s) for s in (None, 4.25, 187, 7500, 3 * 86400 + 4 * 3600)] == [
        "-",
        "4.2s",
        "3m 07s",
        "2h 05m",
        "3d 04h",
    ]
    assert [format_size(n) for n in (512, 1500, 3_000_000)] == ["512 bytes", "1.5 kB", "3.0 MB"]


def test_json_safe_makes_strict_json() -> None:
    value = {"a": [float("nan"), float("inf"), -float("inf"), 1.5], "b": b"\x00\x01"}

    text = json.dumps(json_safe(value), allow_nan=False)

    assert json.loads(text) == {"a": ["NaN", "Infinity", "-Infinity", 1.5], "b": "<2 bytes>"}
