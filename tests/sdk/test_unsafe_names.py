"""Names that come from a store never lead a write out of its destination folder (SPEC 2.2).

Log stream names are file names: the SDK and every store refuse the rest. A run that already
holds such a name (a row written before names were checked, put here straight into the
database) stays readable, and each download writes every other file and refuses that one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from runhistory import Run, Workspace
from runhistory.cli import cli
from runhistory.errors import InvalidValueError, UnsafeFileNameError
from runhistory.store.base import LogAppend, WriteBatch
from runhistory.store.sql.database import Database
from tests.conftest import ServerProcess

BAD_STREAMS = [
    "/etc/cron.d/x",
    "logs/../../../escaped.txt",
    "..",
    "logs\\..\\..\\escaped.txt",
    "logs/a\x00b",
    "logs/\x1b[31mred",
    "C:/Windows/x.txt",
    "logs//twice.txt",
]


def database_of(workspace: Workspace, request: pytest.FixtureRequest) -> Callable[[], Database]:
    """The database behind ``workspace``: its own, or the server subprocess' SQLite file."""
    db = getattr(workspace.store, "db", None)
    if db is not None:
        return lambda: db  # type: ignore[no-any-return]
    server: ServerProcess = request.getfixturevalue("server")
    return lambda: Database.open(f"sqlite:///{server.database}")


def insert_rows(
    workspace: Workspace, request: pytest.FixtureRequest, sql: str, rows: list[tuple[Any, ...]]
) -> None:
    """Write rows past every check, as a database written by an older version could hold."""
    opened = database_of(workspace, request)
    db = opened()
    try:
        db.write(lambda cursor: cursor.executemany(sql, rows))
    finally:
        if db is not getattr(workspace.store, "db", None):
            db.close()


@pytest.mark.parametrize("stream", BAD_STREAMS)
def test_a_log_stream_that_is_no_file_name_is_refused_when_logged(run: Run, stream: str) -> None:
    with pytest.raises(InvalidValueError, match="log stream name"):
        run._append_log(stream, "text\n")
    run.complete()
    assert run.get_details()["logFiles"] == {}


def test_a_store_refuses_the_log_lines_of_a_bad_stream_and_keeps_the_others(
    workspace: Workspace, run: Run
) -> None:
    now = time.time()
    batch = WriteBatch(
        logs=[
            LogAppend(run.id, "logs/good.txt", now, "kept\n"),
            *(LogAppend(run.id, stream, now, "refused\n") for stream in BAD_STREAMS),
        ]
    )
    problems = workspace.store.append(batch)
    assert len(problems) == len(BAD_STREAMS)
    assert all(repr(stream) in " ".join(problems) for stream in BAD_STREAMS[:3])
    assert workspace.store.log_streams(run.id) == ["logs/good.txt"]
    assert workspace.store.read_log(run.id, "logs/good.txt")[0] == "kept\n"


HELD = [
    "logs/../../../escaped.txt",
    "logs\\..\\..\\escaped-too.txt",
    "../escaped-three.txt",
]


@pytest.fixture
def holding(
    workspace: Workspace, run: Run, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Run, list[str]]:
    """``run`` with a good log and output, plus log and file rows whose names lead out: the
    usual ones and an absolute path into ``tmp_path/outside``."""
    run._append_log("logs/std_log.txt", "hello\n")
    run.upload_file("outputs/model.txt", _file(tmp_path / "model.txt", "weights"))
    run.complete()
    outside = tmp_path / "outside"
    outside.mkdir()
    bad = [*HELD, str(outside / "absolute.txt")]
    insert_rows(
        workspace,
        request,
        "INSERT INTO log_entries (run_id, stream, created, text) VALUES (?, ?, ?, ?)",
        [(run.id, name, time.time(), "owned\n") for name in bad],
    )
    insert_rows(
        workspace,
        request,
        "INSERT INTO artifacts (run_id, name, size, sha256, content_type, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(run.id, "outputs/../../../artifact-escaped.txt", 1, "0" * 64, "text/plain", 1.0)],
    )
    return run, [*bad, "outputs/../../../artifact-escaped.txt"]


def workspace_options(workspace: Workspace) -> list[str]:
    artifacts = workspace._artifacts
    return ["-w", workspace.location, *(["--artifacts", artifacts] if artifacts else [])]


def _file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def escaped_files(tmp_path: Path) -> list[Path]:
    """Files a download wrote where no destination asked for them."""
    return [p for p in tmp_path.rglob("*") if "escaped" in p.name or p.name == "absolute.txt"]


def test_a_run_holding_bad_names_stays_readable(
    holding: tuple[Run, list[str]], workspace: Workspace, tmp_path: Path
) -> None:
    run, bad = holding
    again = Run.get(workspace, run.id)
    assert again.get_status() == "Completed"
    details = again.get_details()
    assert set(bad) - {bad[-1]} <= set(details["logFiles"])
    logs = again.get_details_with_logs()["logFiles"]
    assert logs["logs/std_log.txt"] == "hello\n"
    assert logs["logs/../../../escaped.txt"] == "owned\n"
    info = CliRunner().invoke(cli, ["history", "info", run.id, *workspace_options(workspace)])
    assert info.exit_code == 0, info.output
    assert "logs/../../../escaped.txt" in info.output


def test_get_all_logs_writes_the_good_logs_and_refuses_only_the_bad_names(
    holding: tuple[Run, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, bad = holding
    destination = tmp_path / "a" / "b" / "logs"
    with pytest.raises(UnsafeFileNameError) as refused:
        run.get_all_logs(destination=destination)
    for name in bad[:-1]:
        assert repr(name) in refused.value.message
    assert (destination / "logs" / "std_log.txt").read_text() == "hello\n"
    monkeypatch.chdir(tmp_path / "a")
    with pytest.raises(UnsafeFileNameError, match=r"escaped\.txt"):
        run.get_all_logs()
    assert (tmp_path / "a" / f"logs_{run.id}" / "logs" / "std_log.txt").read_text() == "hello\n"
    assert escaped_files(tmp_path) == []


def test_download_files_writes_the_good_files_and_refuses_only_the_bad_names(
    holding: tuple[Run, list[str]], tmp_path: Path
) -> None:
    run, _ = holding
    destination = tmp_path / "a" / "b" / "files"
    with pytest.raises(UnsafeFileNameError, match=r"artifact-escaped\.txt"):
        run.download_files(output_directory=destination)
    assert (destination / "outputs" / "model.txt").read_text() == "weights"
    assert (destination / "logs" / "std_log.txt").read_text() == "hello\n"
    assert escaped_files(tmp_path) == []


def test_history_download_writes_the_good_files_and_refuses_only_the_bad_names(
    holding: tuple[Run, list[str]], workspace: Workspace, tmp_path: Path
) -> None:
    run, bad = holding
    destination = tmp_path / "a" / "b" / "download"
    result = CliRunner().invoke(
        cli,
        ["history", "download", run.id, "--dest", str(destination), *workspace_options(workspace)],
    )
    assert result.exit_code != 0
    for name in bad:
        assert repr(name) in result.output.replace("\n", "")
    assert (destination / "outputs" / "model.txt").read_text() == "weights"
    assert (destination / "logs" / "std_log.txt").read_text() == "hello\n"
    assert escaped_files(tmp_path) == []


def test_a_download_does_not_follow_a_symlink_out_of_its_destination(
    run: Run, tmp_path: Path
) -> None:
    run._append_log("logs/std_log.txt", "hello\n")
    run.complete()
    destination = tmp_path / "destination"
    destination.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (destination / "logs").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeFileNameError, match="outside"):
        run.get_all_logs(destination=destination)
    assert list(outside.iterdir()) == []
