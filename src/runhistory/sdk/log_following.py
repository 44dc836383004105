"""Reading the logs of a run (``logs/...``) as they are stored, and following a live run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from runhistory.errors import ArtifactNotFoundError

if TYPE_CHECKING:
    from runhistory.sdk.run import Run


def follow_logs(
    run: Run, stream: str | None = None, follow: bool = False, poll_interval: float = 0.2
) -> Iterator[tuple[str, str]]:
    """(stream, text) pieces of the run's logs (``logs/...``) in the order they were stored; with
    ``follow``, keep polling until the run reaches a terminal status, then yield what is left."""
    store = run.experiment.workspace.store
    if stream is not None and not stream.startswith("logs/"):
        stream = f"logs/{stream}"
    positions: dict[str, int] = {}
    while True:
        finished = store.get_run(run.id).status.is_terminal
        names = store.log_streams(run.id)
        if stream is not None and stream not in names and (finished or not follow):
            known = ", ".join(names) or "none"
            raise ArtifactNotFoundError(f"run {run.id!r} has no log {stream!r}; its logs: {known}")
        for name in names:
            if stream is not None and name != stream:
                continue
            text, positions[name] = store.read_log(run.id, name, positions.get(name, 0))
            if text:
                yield name, text
        if finished or not follow:
            return
        time.sleep(poll_interval)
