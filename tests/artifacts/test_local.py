"""Uploads cut off by SIGKILL leave no partial files behind once the workspace is opened again."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from runhistory import Run, Workspace
from runhistory.artifacts.local import STALE_UPLOAD_SECONDS, _owner_prefix, remove_stale_uploads
from tests.conftest import isolated_settings

UPLOADER = textwrap.dedent(
    """
    import sys
    from runhistory import Experiment, Workspace
    run = Experiment(Workspace(sys.argv[1]), "uploads").start_logging(
        snapshot_directory=None, outputs=None
    )
    print(run.id, flush=True)
    with open(sys.argv[2], "rb") as stream:  # a pipe the test fills, then never closes
        run.upload_file("model.bin", stream)
    """
)


def partial_uploads(folder: Path) -> list[Path]:
    pending = folder / "artifacts" / "pending"
    return sorted(pending.glob(".upload-*")) if pending.is_dir() else []


def test_an_upload_killed_midway_is_removed_when_the_workspace_opens(tmp_path: Path) -> None:
    folder = tmp_path / ".runhistory"
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    uploader = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, str(folder), str(pipe)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "RUNHISTORY_WORKSPACE": ""},
    )
    assert uploader.stdout is not None
    run_id = uploader.stdout.readline().strip()
    assert run_id, f"the uploader exited with code {uploader.wait()}"
    with open(pipe, "wb") as writer:
        writer.write(os.urandom(3 * 1024 * 1024))
        writer.flush()
        deadline = time.monotonic() + 60
        while not any(p.stat().st_size >= 2 * 1024 * 1024 for p in partial_uploads(folder)):
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.05)
        uploader.kill()  # SIGKILL: no cleanup in the uploader
        uploader.wait()
    assert partial_uploads(folder)  # what a killed upload leaves

    workspace = Workspace(folder, settings=isolated_settings())
    run = Run.get(workspace, run_id)
    assert partial_uploads(folder) == []
    source = tmp_path / "model.bin"
    source.write_bytes(b"whole")
    run.upload_file("model.bin", str(source))  # the name is free: nothing was half stored
    assert run.get_file_names() == ["model.bin"]
    assert list((folder / "artifacts" / "pending").iterdir()) == []
    workspace.close()


def test_uploads_still_written_stay_and_abandoned_ones_go(tmp_path: Path) -> None:
    pending = tmp_path / "pending"
    pending.mkdir()
    live = pending / f"{_owner_prefix()}xyz"  # this process (which runs) writing an upload
    unknown_fresh = pending / ".upload-abcd1234"  # an older version's name, written just now
    unknown_old = pending / ".upload-efgh5678"
    finished_old = pending / "0123456789abcdef"  # complete, never moved to its place
    for path in (live, unknown_fresh, unknown_old, finished_old):
        path.write_bytes(b"x" * 10)
    old = time.time() - STALE_UPLOAD_SECONDS - 60
    for path in (unknown_old, finished_old):
        os.utime(path, (old, old))
    assert remove_stale_uploads(tmp_path) == 20
    assert sorted(p.name for p in pending.iterdir()) == sorted([live.name, unknown_fresh.name])
