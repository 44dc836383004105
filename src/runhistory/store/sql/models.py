"""The model registry of the SQL store: named, versioned sets of run files."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from runhistory.errors import ModelNotFoundError
from runhistory.model import ModelRecord
from runhistory.store.sql.database import Cursor, Database


class ModelRegistry:
    """Mixed into ``SqlStore``; expects ``db`` and ``location``."""

    db: Database
    location: str

    def register_model(
        self,
        name: str,
        run_id: str,
        path: str,
        files: Sequence[str],
        tags: Mapping[str, str | None],
        properties: Mapping[str, str],
        description: str | None,
    ) -> ModelRecord:
        def register(cursor: Cursor) -> int:
            row = cursor.execute(
                "SELECT MAX(version) FROM models WHERE name = ?", (name,)
            ).fetchone()
            version = (row[0] or 0) + 1
            cursor.execute(
                "INSERT INTO models (name, version, run_id, path, files, tags, properties, description, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    version,
                    run_id,
                    path,
                    json.dumps(list(files)),
                    json.dumps(dict(tags)),
                    json.dumps(dict(properties)),
                    description,
                    time.time(),
                ),
            )
            return version

        version = self.db.write(register)
        return self.get_model(name, version)

    def get_model(self, name: str, version: int | None = None) -> ModelRecord:
        models = self.list_models(name)
        if version is not None:
            models = [m for m in models if m.version == version]
        if not models:
            which = f"{name!r} version {version}" if version is not None else repr(name)
            raise ModelNotFoundError(f"no model {which} in {self.location}")
        return models[0]

    def list_models(self, name: str | None = None) -> list[ModelRecord]:
        sql = "SELECT name, version, run_id, path, files, tags, properties, description, created FROM models"
        params: list[Any] = []
        if name is not None:
            sql += " WHERE name = ?"
            params.append(name)
        rows = self.db.read(
            lambda c: c.execute(sql + " ORDER BY name, version DESC", params).fetchall()
        )
        return [
            ModelRecord(
                r[0],
                r[1],
                r[2],
                r[3],
                json.loads(r[4]),
                json.loads(r[5]),
                json.loads(r[6]),
                r[7],
                r[8],
            )
            for r in rows
        ]
