"""File records of the SQL store: run artifacts (contents in the artifact store, records here)
and source snapshot manifests."""

from __future__ import annotations

import json
import mimetypes
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from runhistory.artifacts.base import ArtifactStore
from runhistory.errors import ArtifactExistsError, ArtifactNotFoundError, NotFoundError
from runhistory.model import ArtifactRecord
from runhistory.store.sql.database import Database


class FileRecords:
    """Mixed into ``SqlStore``; expects ``db``, ``artifacts``, ``location`` and ``_require_run``."""

    db: Database
    artifacts: ArtifactStore
    location: str

    def _require_run(self, run_id: str) -> None:
        raise NotImplementedError  # provided by SqlStore

    def add_artifact(
        self, run_id: str, name: str, source: Any, *, fail_if_different: bool = True
    ) -> ArtifactRecord:
        """Store ``source`` (a path or a binary stream) as file ``name`` of the run.

        The same content again is a no-op; other content raises ``ArtifactExistsError`` (or, with
        ``fail_if_different=False``, keeps the stored file), and the stored file stays as it was."""
        self._require_run(run_id)
        pending = f"pending/{uuid.uuid4().hex}"
        if isinstance(source, (str, Path)):
            with open(source, "rb") as stream:
                size, sha256 = self.artifacts.put(pending, stream)
        else:
            size, sha256 = self.artifacts.put(pending, source)
        record = ArtifactRecord(name, size, sha256, _content_type(name), time.time())
        try:
            claimed = self.db.write(
                lambda c: c.execute(
                    "INSERT INTO artifacts (run_id, name, size, sha256, content_type, created) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name) DO NOTHING RETURNING name",
                    (run_id, name, size, sha256, record.content_type, record.created),
                ).fetchall()
            )
            if claimed:
                self.artifacts.move(pending, _artifact_key(run_id, name))
                return record
            existing = self.get_artifact(run_id, name)
            if existing.sha256 != sha256 and not fail_if_different:
                return existing
            if existing.sha256 != sha256:
                raise ArtifactExistsError(
                    f"run {run_id!r} already has a different file {name!r} "
                    f"({existing.size} bytes, sha256 {existing.sha256[:12]}...); upload under another name"
                )
            return existing
        finally:
            self.artifacts.delete(pending)

    def _artifact_row(self, run_id: str, name: str) -> ArtifactRecord | None:
        row = self.db.read(
            lambda c: c.execute(
                "SELECT name, size, sha256, content_type, created FROM artifacts WHERE run_id = ? AND name = ?",
                (run_id, name),
            ).fetchone()
        )
        return None if row is None else ArtifactRecord(*row)

    def list_artifacts(self, run_id: str, prefix: str | None = None) -> list[ArtifactRecord]:
        sql = "SELECT name, size, sha256, content_type, created FROM artifacts WHERE run_id = ?"
        params: list[Any] = [run_id]
        if prefix:
            sql += " AND substr(name, 1, ?) = ?"
            params += [len(prefix), prefix]
        rows = self.db.read(lambda c: c.execute(sql + " ORDER BY name", params).fetchall())
        return [ArtifactRecord(*r) for r in rows]

    def get_artifact(self, run_id: str, name: str) -> ArtifactRecord:
        record = self._artifact_row(run_id, name)
        if record is None:
            names = [a.name for a in self.list_artifacts(run_id)]
            close = [n for n in names if n.rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1]][:3]
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ArtifactNotFoundError(f"run {run_id!r} has no file {name!r}{hint}")
        return record

    def open_artifact(self, run_id: str, name: str) -> BinaryIO:
        self.get_artifact(run_id, name)
        return self.artifacts.open(_artifact_key(run_id, name))

    def save_snapshot(
        self, snapshot_id: str, manifest: Mapping[str, Any], file_count: int, size: int
    ) -> None:
        self.db.write(
            lambda c: c.execute(
                "INSERT INTO snapshots (id, manifest, file_count, size, created) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (snapshot_id, json.dumps(manifest, sort_keys=True), file_count, size, time.time()),
            )
        )

    def get_snapshot(self, snapshot_id: str) -> dict[str, Any]:
        row = self.db.read(
            lambda c: c.execute(
                "SELECT manifest FROM snapshots WHERE id = ?", (snapshot_id,)
            ).fetchone()
        )
        if row is None:
            raise NotFoundError(f"no snapshot with id {snapshot_id!r} in {self.location}")
        manifest: dict[str, Any] = json.loads(row[0])
        return manifest


def _artifact_key(run_id: str, name: str) -> str:
    return f"runs/{run_id}/{name}"


def _content_type(name: str) -> str:
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"
