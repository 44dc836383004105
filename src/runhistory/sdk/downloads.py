"""Downloading the files of a run, its log streams included, into a folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from runhistory.destinations import RefusedNames, path_inside
from runhistory.errors import ArtifactNotFoundError, UnsafeFileNameError

if TYPE_CHECKING:
    from runhistory.sdk.run import Run


@dataclasses.dataclass(frozen=True)
class RunFile:
    """A file of a run (a log stream too) and its size in bytes."""

    name: str
    size: int


def run_files(run: Run, prefix: str | None = None) -> list[RunFile]:
    """The files of ``run`` whose names start with ``prefix`` (every file when None), logs
    included, sorted by name; ``ArtifactNotFoundError`` when none match."""
    store = run.experiment.workspace.store
    files = [RunFile(a.name, a.size) for a in store.list_artifacts(run.id, prefix)]
    for stream in store.log_streams(run.id):
        if not prefix or stream.startswith(prefix):
            files.append(RunFile(stream, len(store.read_log(run.id, stream)[0].encode())))
    if not files:
        names = run.get_file_names()
        what = f"files under {prefix!r}" if prefix else "files"
        known = f"its files: {', '.join(names[:10])}{', ...' if len(names) > 10 else ''}"
        raise ArtifactNotFoundError(
            f"run {run.id!r} has no {what}; {known if names else 'it has none'}"
        )
    return sorted(files, key=lambda f: f.name)


def download_run_files(
    run: Run,
    files: Sequence[RunFile],
    destination: str | Path,
    on_bytes: Callable[[int], object] | None = None,
) -> Iterator[tuple[Path, RunFile]]:
    """Write ``files`` under ``destination`` keeping their folders, yielding each path (and its
    file) once it is written; ``on_bytes(n)`` is called as each block of n bytes is copied. A name that would
    land outside ``destination`` is not written: ``UnsafeFileNameError`` names it once every
    other file is written."""
    store = run.experiment.workspace.store
    root = Path(destination)
    streams = set(store.log_streams(run.id))
    refused = RefusedNames()
    written = 0
    for file in files:
        try:
            target = path_inside(root, file.name)
        except UnsafeFileNameError as error:
            refused.refuse(error)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            if file.name in streams:
                data = store.read_log(run.id, file.name)[0].encode()
                out.write(data)
                if on_bytes is not None:
                    on_bytes(len(data))
            else:
                with store.open_artifact(run.id, file.name) as source:
                    while block := source.read(1024 * 1024):
                        out.write(block)
                        if on_bytes is not None:
                            on_bytes(len(block))
        written += 1
        yield target, file
    refused.raise_if_any(f"downloading run {run.id!r}", written)
