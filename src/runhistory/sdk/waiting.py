"""``Run.wait_for_completion``: poll a run until it ends, optionally streaming its log."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from runhistory.model import RunStatus

if TYPE_CHECKING:
    from runhistory.sdk.run import Run

POLL_SECONDS = 0.2
STREAMED_LOGS = ("logs/std_log.txt", "logs/user_log.txt")


def wait_for_run(
    run: Run, *, show_output: bool, raise_on_error: bool, out: TextIO | None = None
) -> dict[str, Any]:
    out = out or sys.stdout
    if show_output:
        print(f"RunId: {run.id}", file=out)
        print(f"Web View: {run.get_portal_url()}", file=out)
        print(file=out, flush=True)
    positions = dict.fromkeys(STREAMED_LOGS, 0)
    while True:
        status = RunStatus(run.get_status())
        if show_output:
            _print_new_log(run, positions, out)
        if status.is_terminal:
            break
        time.sleep(POLL_SECONDS)
    details = run.get_details()
    if show_output:
        _print_summary(details, out)
    if raise_on_error:
        run._raise_if_failed(details)
    return details


def _print_new_log(run: Run, positions: dict[str, int], out: TextIO) -> None:
    for stream in STREAMED_LOGS:
        text, positions[stream] = run._store.read_log(run.id, stream, positions[stream])
        if text:
            out.write(text)
            out.flush()


def _print_summary(details: dict[str, Any], out: TextIO) -> None:
    print(file=out)
    print("Execution Summary", file=out)
    print("=================", file=out)
    print(f"RunId: {details['runId']}", file=out)
    print(f"Status: {details['status']}", file=out)
    if details.get("duration") is not None:
        print(f"Duration: {details['duration']:.1f} s", file=out)
    error = details.get("error")
    if error:
        print(f"Error: {error.get('type', '')} {error.get('message', '')}".rstrip(), file=out)
    print(file=out, flush=True)
