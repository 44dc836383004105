"""The file half of ``Run``: uploads, downloads, logs, the ``./outputs`` capture, snapshots, models.

Log streams (``logs/std_log.txt``, ...) are stored as appended entries so they can be followed
live; they are listed and downloaded like any other file of the run.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from runhistory.errors import ArtifactNotFoundError, InvalidStateError, InvalidValueError
from runhistory.model import normalize_artifact_name, validate_log_stream

if TYPE_CHECKING:
    from runhistory.sdk.model_registry import Model
    from runhistory.sdk.workspace import Workspace
    from runhistory.settings import Settings
    from runhistory.store.base import Store
    from runhistory.writer import RunBuffers

LOG_PREFIX = "logs/"
# File times come from the kernel's coarse clock, which can trail time.time() by a tick (up to
# 10 ms); a file written as the run starts must still count as written during the run.
_MTIME_SLACK = 0.05


class RunFiles:
    """Mixed into ``Run``; expects ``id``, ``_store``, ``_workspace`` and ``_settings``."""

    id: str
    _store: Store
    _workspace: Workspace
    _settings: Settings
    _buffers: RunBuffers | None

    def _active_buffers(self) -> RunBuffers:
        raise NotImplementedError  # provided by RunMetrics, earlier in Run's bases

    def upload_file(
        self,
        name: str,
        path_or_stream: str | os.PathLike[str] | BinaryIO,
        datastore_name: str | None = None,
    ) -> None:
        """Store a file (a path or a binary stream) as ``name``; the same content again is a no-op.
        ``name`` is normalised as the Azure SDK does: ``./outputs/m.pkl`` is ``outputs/m.pkl``."""
        name = normalize_artifact_name(name)
        if name.startswith(LOG_PREFIX) and name in self._store.log_streams(self.id):
            raise InvalidValueError(
                f"{name!r} is a log of run {self.id!r}; upload under another name"
            )
        if isinstance(path_or_stream, (str, os.PathLike)):
            path = Path(path_or_stream)
            if not path.is_file():
                raise InvalidValueError(f"upload_file({name!r}, {str(path)!r}): no such file")
            self._store.add_artifact(self.id, name, path)
        else:
            self._store.add_artifact(self.id, name, path_or_stream)

    def upload_files(
        self,
        names: Sequence[str],
        paths: Sequence[str | os.PathLike[str]],
        return_artifacts: bool = False,
        timeout_seconds: float | None = None,
        datastore_name: str | None = None,
    ) -> None:
        if len(names) != len(paths):
            raise InvalidValueError(f"upload_files got {len(names)} names for {len(paths)} paths")
        for name in names:
            normalize_artifact_name(name)
        for name, path in zip(names, paths, strict=True):
            self.upload_file(name, path)

    def upload_folder(
        self, name: str, path: str | os.PathLike[str], datastore_name: str | None = None
    ) -> None:
        """Store every file under the folder ``path`` as ``name/<relative path>``."""
        folder = Path(path)
        if not folder.is_dir():
            raise InvalidValueError(f"upload_folder({name!r}, {str(folder)!r}): not a folder")
        prefix = normalize_artifact_name(name)
        for relative, file in _files_under(folder):
            self.upload_file(f"{prefix}/{relative}", file)

    def get_file_names(self) -> list[str]:
        """Names of every file of the run, logs included, sorted."""
        self._flush_logs()
        names = {a.name for a in self._store.list_artifacts(self.id)}
        names.update(self._store.log_streams(self.id))
        return sorted(names)

    def download_file(
        self,
        name: str,
        output_file_path: str | os.PathLike[str] | None = None,
        _validate_checksum: bool = False,
    ) -> Path:
        """Write file ``name`` to ``output_file_path`` (a file or a folder; default: the current
        folder under the file's base name) and return where it went."""
        from runhistory.destinations import path_inside

        name = _stored_name(name)
        base_name = name.rsplit("/", 1)[-1]
        target = Path(output_file_path) if output_file_path is not None else Path(base_name)
        if output_file_path is None:
            target = path_inside(".", base_name)
        elif target.is_dir():
            target = path_inside(target, base_name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._open_file(name) as source, open(target, "wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
        return target

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | os.PathLike[str] | None = None,
        output_paths: Sequence[str] | None = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        timeout_seconds: float | None = None,
    ) -> list[Path]:
        """Download every file whose name starts with ``prefix`` into ``output_directory``,
        keeping the run's folder structure."""
        from runhistory.destinations import RefusedNames, path_inside
        from runhistory.errors import UnsafeFileNameError

        folder = Path(output_directory or ".")
        if prefix:
            prefix = _stored_name(prefix) + ("/" if prefix.endswith("/") else "")
        downloaded = []
        refused = RefusedNames()
        for name in self.get_file_names():
            if prefix and not name.startswith(prefix):
                continue
            relative = name if append_prefix or not prefix else name[len(prefix) :].lstrip("/")
            try:
                target = path_inside(folder, relative)
            except UnsafeFileNameError as error:
                refused.refuse(error)
                continue
            downloaded.append(self.download_file(name, target))
        refused.raise_if_any(f"download_files of run {self.id!r}", len(downloaded))
        return downloaded

    def _open_file(self, name: str) -> BinaryIO:
        import io

        name = _stored_name(name)
        self._flush_logs()
        if name.startswith(LOG_PREFIX) and name in self._store.log_streams(self.id):
            text, _ = self._store.read_log(self.id, name)
            return io.BytesIO(text.encode())
        return self._store.open_artifact(self.id, name)  # type: ignore[no-any-return]

    # logs -------------------------------------------------------------------------------------

    def _append_log(self, stream: str, text: str) -> None:
        """Queue ``text`` for the log ``stream`` (stored with the next flush)."""
        validate_log_stream(stream)
        self._active_buffers().logs.append((stream, time.time(), text))

    def _flush_logs(self) -> None:
        """Store log lines this process queued, so that reads include them."""
        if self._buffers is not None and self._buffers.logs:
            self._workspace.writer.flush()

    def get_all_logs(self, destination: str | os.PathLike[str] | None = None) -> list[str]:
        """Write every log of the run into ``destination`` (default ``./logs_<run id>``)."""
        from runhistory.destinations import RefusedNames, path_inside
        from runhistory.errors import UnsafeFileNameError

        folder = Path(destination or f"logs_{self.id}")
        self._flush_logs()
        paths = []
        refused = RefusedNames()
        for stream in self._store.log_streams(self.id):
            try:
                path = path_inside(folder, stream)
            except UnsafeFileNameError as error:
                refused.refuse(error)
                continue
            text, _ = self._store.read_log(self.id, stream)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            paths.append(str(path))
        refused.raise_if_any(f"get_all_logs of run {self.id!r}", len(paths))
        return paths

    def _logs(self) -> dict[str, str]:
        self._flush_logs()
        return {
            stream: self._store.read_log(self.id, stream)[0]
            for stream in self._store.log_streams(self.id)
        }

    # outputs ------------------------------------------------------------------------------------

    def _capture_outputs(self, folder: Path, since: float | None) -> None:
        """Upload what was written to ``folder`` (since ``since``, when given) as ``outputs/...``.
        A file uploaded explicitly before with other content is kept, not an error."""
        if not folder.is_dir():
            return
        for relative, file in _files_under(folder):
            if since is not None and file.stat().st_mtime < since - _MTIME_SLACK:
                continue
            self._store.add_artifact(self.id, f"outputs/{relative}", file, fail_if_different=False)

    # snapshots ----------------------------------------------------------------------------------

    def take_snapshot(self, file_or_folder_path: str | os.PathLike[str]) -> str:
        """Snapshot a folder (or one file) as the run's source; once per run."""
        from runhistory.snapshot import take_snapshot

        if self._store.get_run(self.id).snapshot_id is not None:
            raise InvalidStateError(
                f"run {self.id!r} already has a snapshot; a run has one snapshot"
            )
        snapshot_id = take_snapshot(
            self._store,
            file_or_folder_path,
            max_bytes=self._settings.snapshot_max_bytes,
            max_files=self._settings.snapshot_max_files,
        )
        self._store.update_run(self.id, snapshot_id=snapshot_id)
        return snapshot_id

    def get_snapshot_id(self) -> str | None:
        return self._store.get_run(self.id).snapshot_id

    def restore_snapshot(
        self, snapshot_id: str | None = None, path: str | os.PathLike[str] | None = None
    ) -> str:
        """Write the run's snapshot (or ``snapshot_id``) as a zip; return the zip's path."""
        from runhistory.snapshot import restore_snapshot_zip

        snapshot_id = snapshot_id or self.get_snapshot_id()
        if snapshot_id is None:
            raise ArtifactNotFoundError(f"run {self.id!r} has no snapshot")
        target = Path(path) if path is not None else Path(f"{snapshot_id}.zip")
        if target.is_dir() or (path is not None and not target.suffix):
            target = target / f"{snapshot_id}.zip"
        return str(restore_snapshot_zip(self._store, snapshot_id, target))

    # models -------------------------------------------------------------------------------------

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        description: str | None = None,
        datasets: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
    ) -> Model:
        """Register the run's file ``model_path`` (or every file under that folder prefix) as the
        next version of model ``model_name``."""
        from runhistory.sdk.model_registry import register_model

        return register_model(
            self._workspace, self.id, model_name, model_path, tags, properties, description
        )


def _stored_name(name: str) -> str:
    """``name`` normalised when it can be (``./outputs/m.pkl``); a name the rules refuse is
    looked up as given, so a file stored by an older version stays reachable."""
    try:
        return normalize_artifact_name(name)
    except InvalidValueError:
        return name


def _files_under(folder: Path) -> Iterable[tuple[str, Path]]:
    for root, directories, files in os.walk(folder):
        directories.sort()
        for file in sorted(files):
            path = Path(root) / file
            yield path.relative_to(folder).as_posix(), path
