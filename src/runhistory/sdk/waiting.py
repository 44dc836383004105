"""``Run.wait_for_completion``: wait until a run ends, optionally streaming its log.

Against a server, the waiter follows the run's event stream: log text arrives as the server sees
it, and the run's end as soon as it happens. A stream that breaks off (the server restarted) is
opened again from the position of each log reached so far, so no text is lost or printed twice;
a server without event streams is polled. Against an embedded store, the waiter polls the store.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from runhistory.errors import StoreError
from runhistory.model import RunStatus
from runhistory.store.rest import RestStore

if TYPE_CHECKING:
    from runhistory.sdk.run import Run

POLL_SECONDS = 0.2
STREAMED_LOGS = ("logs/std_log.txt", "logs/user_log.txt")
# How long the waiter keeps asking a server that does not answer (restarting, say) before it
# gives up, and its pauses between attempts.
OUTAGE_SECONDS = 300.0
FIRST_RETRY_SECONDS = 0.1
LAST_RETRY_SECONDS = 2.0

log = logging.getLogger("runhistory")


def wait_for_run(
    run: Run, *, show_output: bool, raise_on_error: bool, out: TextIO | None = None
) -> dict[str, Any]:
    out = out or sys.stdout
    if show_output:
        print(f"RunId: {run.id}", file=out)
        print(f"Web View: {run.get_portal_url()}", file=out)
        print(file=out, flush=True)
    printer = _LogPrinter(out if show_output else None)
    store = run._store
    # An embedded store has no one to push events: polling it is what a server would do.
    if isinstance(store, RestStore):
        _follow_events(run, store, printer)
    else:
        _poll(run, printer)
    details = run.get_details()
    if show_output:
        _print_summary(details, out)
    if raise_on_error:
        run._raise_if_failed(details)
    return details


class _LogPrinter:
    """Prints new text of the streamed logs to ``out`` (when given), and keeps the position
    reached in every log, where polling or a reopened event stream goes on."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self.positions: dict[str, int] = {}

    def add(self, stream: str, text: str, position: int) -> None:
        if text and self.out is not None and stream in STREAMED_LOGS:
            self.out.write(text)
            self.out.flush()
        self.positions[stream] = position


def _poll(run: Run, printer: _LogPrinter) -> None:
    """Until the run has ended, read its status and new log text every ``POLL_SECONDS``."""
    while True:
        status = RunStatus(run.get_status())
        if printer.out is not None:
            for stream in STREAMED_LOGS:
                after = printer.positions.get(stream, 0)
                printer.add(stream, *run._store.read_log(run.id, stream, after))
        if status.is_terminal:
            return
        time.sleep(POLL_SECONDS)


def _follow_events(run: Run, store: RestStore, printer: _LogPrinter) -> None:
    """Until the run's stream sends ``end``, print its log events; reopen a stream that breaks
    off, for up to ``OUTAGE_SECONDS`` without an answer; poll a server without streams."""
    outage = _Outage(run.id, store.location)
    while True:
        try:
            events = store.follow_run(run.id, after=printer.positions, logs=printer.out is not None)
            if events is None:
                break
            for kind, data in events:
                outage.over()
                if kind == "log":
                    printer.add(data["stream"], data["text"], data["last"])
                elif kind == "end":
                    return
            problem = "the event stream ended before the run"
        except StoreError as error:
            problem = error.message
        outage.pause(problem)
    _poll(run, printer)  # a server without event streams


class _Outage:
    """Time since the server last answered, and growing pauses before the next attempt."""

    def __init__(self, run_id: str, location: str) -> None:
        self.run_id = run_id
        self.location = location
        self.since: float | None = None
        self.delay = FIRST_RETRY_SECONDS

    def over(self) -> None:
        self.since = None
        self.delay = FIRST_RETRY_SECONDS

    def pause(self, problem: str) -> None:
        """Sleep before the next attempt; ``StoreError`` once the server has been away too long."""
        now = time.monotonic()
        if self.since is None:
            self.since = now
            log.warning(
                "runhistory lost the events of run %r from %s (%s); trying again",
                self.run_id,
                self.location,
                problem,
            )
        elif now - self.since > OUTAGE_SECONDS:
            raise StoreError(
                f"runhistory server {self.location} has not answered for {OUTAGE_SECONDS:.0f} s "
                f"({problem}); wait for run {self.run_id!r} again once the server is back"
            )
        time.sleep(self.delay)
        self.delay = min(self.delay * 2, LAST_RETRY_SECONDS)


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
