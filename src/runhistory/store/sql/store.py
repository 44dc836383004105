"""The store over SQLite or PostgreSQL: experiments, runs, tags, properties, files, logs, models.

Metric points are in ``metrics.py``; this module composes it. Every query is portable SQL run by
``Database``.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> store = SqlStore.open(f"sqlite:///{folder}/runhistory.db", folder / "artifacts")
>>> store.get_or_create_experiment("demo").name
'demo'
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runhistory.artifacts.base import ArtifactStore, open_artifact_store
from runhistory.errors import (
    ExperimentExistsError,
    ExperimentNotFoundError,
    InvalidValueError,
    PropertyConflictError,
    RunNotFoundError,
)
from runhistory.model import (
    ExperimentRecord,
    MetricKind,
    RunRecord,
    RunStatus,
)
from runhistory.store.base import MetricData, RunQuery, WriteBatch, drop_unsafe_log_streams
from runhistory.store.run_table import RunTable, run_records
from runhistory.store.sql.database import Cursor, Database
from runhistory.store.sql.files import FileRecords
from runhistory.store.sql.liveness import RunWatch, revive
from runhistory.store.sql.metrics import MetricWriter, read_metric_kinds, read_metrics
from runhistory.store.sql.migrate import ensure_schema
from runhistory.store.sql.models import ModelRegistry

if TYPE_CHECKING:
    from runhistory.store.overview import ChartSeries

_RUN_COLUMNS = (
    "r.id, r.experiment_id, e.name, r.number, r.status, r.run_type, r.created, r.parent_id, "
    "r.display_name, r.description, r.target, r.script_name, r.arguments, r.started, r.ended, "
    "r.heartbeat, r.error, r.snapshot_id, r.metrics_summary, r.config"
)
_RUN_FROM = "runs r JOIN experiments e ON e.id = r.experiment_id"
_UPDATABLE_RUN_FIELDS = frozenset(
    {
        "display_name",
        "description",
        "target",
        "script_name",
        "arguments",
        "snapshot_id",
        "heartbeat",
    }
)


class SqlStore(FileRecords, ModelRegistry):
    """A workspace kept in a SQL database plus an artifact store."""

    def __init__(
        self, db: Database, artifacts: ArtifactStore, watch: RunWatch | None = None
    ) -> None:
        """``watch`` says when silent runs become NotResponding and Failed (default: the
        defaults of ``Settings``)."""
        self.db = db
        self.artifacts = artifacts
        self.location = db.display_url
        self._metrics = MetricWriter(db)
        if watch is None:
            from runhistory.settings import Settings

            defaults = Settings()
            watch = RunWatch(defaults.not_responding_seconds, defaults.lost_run_seconds)
        self.watch = watch

    @classmethod
    def open(
        cls,
        url: str,
        artifacts: str | Path,
        busy_timeout: float = 60.0,
        watch: RunWatch | None = None,
    ) -> SqlStore:
        db = Database.open(url, busy_timeout)
        ensure_schema(db)
        return cls(db, open_artifact_store(artifacts), watch)

    def close(self) -> None:
        self.db.close()

    # experiments ----------------------------------------------------------------------------

    def get_or_create_experiment(self, name: str) -> ExperimentRecord:
        try:
            return self.get_experiment(name)
        except ExperimentNotFoundError:
            pass

        def create(cursor: Cursor) -> None:
            cursor.execute(
                "INSERT INTO experiments (id, name, archived, created, tags, run_count) "
                "VALUES (?, ?, 0, ?, '{}', 0) ON CONFLICT (name) DO NOTHING",
                (uuid.uuid4().hex, name, time.time()),
            )

        self.db.write(create)
        return self.get_experiment(name)

    def create_experiment(
        self,
        name: str,
        *,
        experiment_id: str | None = None,
        tags: Mapping[str, str | None] | None = None,
    ) -> ExperimentRecord:
        """A new experiment; ``ExperimentExistsError`` when the name or id is taken."""
        new_id = experiment_id or uuid.uuid4().hex

        def create(cursor: Cursor) -> bool:
            taken = cursor.execute(
                "SELECT 1 FROM experiments WHERE name = ? OR id = ?", (name, new_id)
            ).fetchone()
            if taken:
                return False
            cursor.execute(
                "INSERT INTO experiments (id, name, archived, created, tags, run_count) "
                "VALUES (?, ?, 0, ?, ?, 0)",
                (new_id, name, time.time(), json.dumps(dict(tags or {}))),
            )
            return True

        if not self.db.write(create):
            raise ExperimentExistsError(
                f"an experiment named {name!r} (or with id {new_id!r}) already exists; "
                "pick another name or use the existing one"
            )
        return self.get_experiment_by_id(new_id)

    def rename_experiment(self, experiment_id: str, name: str) -> None:
        def rename(cursor: Cursor) -> None:
            taken = cursor.execute("SELECT id FROM experiments WHERE name = ?", (name,)).fetchone()
            if taken and taken[0] != experiment_id:
                raise ExperimentExistsError(f"an experiment named {name!r} already exists")
            changed = cursor.execute(
                "UPDATE experiments SET name = ? WHERE id = ? RETURNING id", (name, experiment_id)
            ).fetchall()
            if not changed:
                raise ExperimentNotFoundError(f"no experiment with id {experiment_id!r}")

        self.db.write(rename)

    def remove_experiment_tags(self, experiment_id: str, keys: Sequence[str]) -> None:
        def remove(cursor: Cursor) -> None:
            row = cursor.execute(
                "SELECT tags FROM experiments WHERE id = ?" + self.db.for_update, (experiment_id,)
            ).fetchone()
            if row is None:
                raise ExperimentNotFoundError(f"no experiment with id {experiment_id!r}")
            kept = {k: v for k, v in json.loads(row[0]).items() if k not in keys}
            cursor.execute(
                "UPDATE experiments SET tags = ? WHERE id = ?", (json.dumps(kept), experiment_id)
            )

        self.db.write(remove)

    def get_experiment(self, name: str) -> ExperimentRecord:
        rows = self._experiments("WHERE name = ?", (name,))
        if not rows:
            raise ExperimentNotFoundError(f"no experiment named {name!r} in {self.location}")
        return rows[0]

    def get_experiment_by_id(self, experiment_id: str) -> ExperimentRecord:
        rows = self._experiments("WHERE id = ?", (experiment_id,))
        if not rows:
            raise ExperimentNotFoundError(f"no experiment with id {experiment_id!r}")
        return rows[0]

    def list_experiments(self, view_type: str = "active") -> list[ExperimentRecord]:
        where = {"active": "WHERE archived = 0", "archived": "WHERE archived = 1", "all": ""}.get(
            view_type.lower()
        )
        if where is None:
            raise InvalidValueError(
                f"view_type {view_type!r} is not one of 'active', 'archived', 'all'"
            )
        return self._experiments(where + " ORDER BY name", ())

    def _experiments(self, where: str, params: Sequence[Any]) -> list[ExperimentRecord]:
        rows = self.db.read(
            lambda c: c.execute(
                "SELECT id, name, archived, created, tags, run_count FROM experiments " + where,
                params,
            ).fetchall()
        )
        return [
            ExperimentRecord(r[0], r[1], bool(r[2]), r[3], json.loads(r[4]), r[5]) for r in rows
        ]

    def update_experiment(
        self,
        experiment_id: str,
        archived: bool | None = None,
        tags: Mapping[str, str | None] | None = None,
    ) -> None:
        def update(cursor: Cursor) -> None:
            if archived is not None:
                cursor.execute(
                    "UPDATE experiments SET archived = ? WHERE id = ?",
                    (int(archived), experiment_id),
                )
            if tags:
                row = cursor.execute(
                    "SELECT tags FROM experiments WHERE id = ?" + self.db.for_update,
                    (experiment_id,),
                ).fetchone()
                merged = {**json.loads(row[0]), **tags}
                cursor.execute(
                    "UPDATE experiments SET tags = ? WHERE id = ?",
                    (json.dumps(merged), experiment_id),
                )

        self.db.write(update)

    # runs -----------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        status: RunStatus,
        run_type: str,
        parent_id: str | None = None,
        display_name: str | None = None,
        description: str | None = None,
        target: str | None = None,
        script_name: str | None = None,
        arguments: Sequence[str] = (),
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str] | None = None,
        started: float | None = None,
        run_id: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        now = time.time()
        given_id = run_id

        def create(cursor: Cursor) -> tuple[str, int]:
            row = cursor.execute(
                "UPDATE experiments SET run_count = run_count + 1 WHERE id = ? RETURNING run_count, name",
                (experiment_id,),
            ).fetchone()
            if row is None:
                raise ExperimentNotFoundError(f"no experiment with id {experiment_id!r}")
            number, experiment_name = row
            if given_id is not None:
                run_id = given_id
            elif parent_id is None:
                run_id = f"{experiment_name}_{int(now)}_{secrets.token_hex(4)}"
            else:
                siblings = cursor.execute(
                    "SELECT COUNT(*) FROM runs WHERE parent_id = ?", (parent_id,)
                ).fetchone()[0]
                run_id = f"{parent_id}_{siblings}"
            cursor.execute(
                "INSERT INTO runs (id, experiment_id, number, parent_id, display_name, description, "
                "status, run_type, target, script_name, arguments, created, started, metrics_summary, config) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?)",
                (
                    run_id,
                    experiment_id,
                    number,
                    parent_id,
                    display_name,
                    description,
                    status.value,
                    run_type,
                    target,
                    script_name,
                    json.dumps(list(arguments)),
                    now,
                    started,
                    None if config is None else json.dumps(dict(config)),
                ),
            )
            if tags:
                cursor.executemany(
                    "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)",
                    [(run_id, k, v) for k, v in tags.items()],
                )
            if properties:
                cursor.executemany(
                    "INSERT INTO run_properties (run_id, key, value) VALUES (?, ?, ?)",
                    [(run_id, k, v) for k, v in properties.items()],
                )
            return run_id, number

        run_id, _ = self.db.write(create)
        return self.get_run(run_id)

    def get_run(self, run_id: str) -> RunRecord:
        records = self._runs("r.id = ?", (run_id,))
        if not records:
            suggestions = self.find_runs(run_id[:8], limit=3) if len(run_id) >= 8 else []
            hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
            raise RunNotFoundError(f"no run with id {run_id!r} in {self.location}{hint}")
        return records[0]

    def find_runs(self, run_id_prefix: str, limit: int = 10) -> list[str]:
        pattern = run_id_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.read(
            lambda c: c.execute(
                "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY created DESC LIMIT ?",
                (pattern, limit),
            ).fetchall()
        )
        return [r[0] for r in rows]

    def list_runs(self, query: RunQuery) -> list[RunRecord]:
        return run_records(self.list_run_table(query))

    def list_run_table(self, query: RunQuery) -> RunTable:
        """The rows of the runs ``query`` matches, newest first (see ``store/run_table.py``)."""
        where: list[str] = []
        params: list[Any] = []
        if query.experiment_id is not None:
            where.append("r.experiment_id = ?")
            params.append(query.experiment_id)
        if query.parent_id is not None:
            where.append("r.parent_id = ?")
            params.append(query.parent_id)
        elif not query.include_children:
            where.append("r.parent_id IS NULL")
        if query.run_type is not None:
            where.append("r.run_type = ?")
            params.append(query.run_type)
        if query.target is not None:
            where.append("r.target = ?")
            params.append(query.target)
        if query.statuses:
            where.append(f"r.status IN ({', '.join('?' * len(query.statuses))})")
            params.extend(RunStatus(s).value for s in query.statuses)
        for table, wanted in (("run_tags", query.tags), ("run_properties", query.properties)):
            for key, value in _key_values(wanted):
                clause = f"EXISTS (SELECT 1 FROM {table} f WHERE f.run_id = r.id AND f.key = ?"
                params.append(key)
                if value is not _ANY:
                    clause += " AND f.value = ?"
                    params.append(value)
                where.append(clause + ")")
        return self._run_table(" AND ".join(where) or "1 = 1", params, query.limit)

    def _runs(self, where: str, params: Sequence[Any], limit: int | None = None) -> list[RunRecord]:
        """Runs matching ``where`` (over ``runs r``), newest first, with tags and properties."""
        return run_records(self._run_table(where, params, limit))

    def _run_table(self, where: str, params: Sequence[Any], limit: int | None = None) -> RunTable:
        self.watch.sweep_if_due(self.db)  # silent runs read NotResponding or Failed
        sql = f"SELECT {_RUN_COLUMNS} FROM {_RUN_FROM} WHERE {where} ORDER BY r.created DESC, r.number DESC"
        if limit is None:
            # Without a limit the side tables join on the same condition, which is cheaper
            # than testing membership in the run query's result.
            side = f"JOIN runs r ON r.id = t.run_id WHERE {where}"
            side_params = list(params)
        else:
            sql += f" LIMIT {int(limit)}"
            side = f"WHERE t.run_id IN (SELECT r.id FROM {_RUN_FROM} WHERE {where} ORDER BY r.created DESC, r.number DESC LIMIT {int(limit)})"
            side_params = list(params)

        def fetch(cursor: Cursor) -> tuple[list[Any], list[Any], list[Any]]:
            rows = cursor.execute(sql, params).fetchall()
            if not rows:
                return rows, [], []
            tags = cursor.execute(
                f"SELECT t.run_id, t.key, t.value FROM run_tags t {side}", side_params
            ).fetchall()
            properties = cursor.execute(
                f"SELECT t.run_id, t.key, t.value FROM run_properties t {side}", side_params
            ).fetchall()
            return rows, tags, properties

        return RunTable(*self.db.read(fetch))

    def update_run(self, run_id: str, **fields: Any) -> None:
        unknown = set(fields) - _UPDATABLE_RUN_FIELDS
        if unknown:
            raise InvalidValueError(f"run fields {sorted(unknown)} cannot be updated")
        if not fields:
            return
        values = [json.dumps(v) if k == "arguments" else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        sql = f"UPDATE runs SET {assignments} WHERE id = ?"

        def update(cursor: Cursor) -> None:
            if not cursor.execute(sql + " RETURNING id", [*values, run_id]).fetchall():
                raise RunNotFoundError(f"no run with id {run_id!r} in {self.location}")
            if "heartbeat" in fields:
                revive(cursor, [run_id])

        self.db.write(update)

    def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        started: float | None = None,
        ended: float | None = None,
        error: Mapping[str, Any] | None = None,
        only_from: Sequence[RunStatus] | None = None,
    ) -> bool:
        """Set the status (and times, error); with ``only_from``, only from those statuses.
        Returns whether the run changed."""
        sql = "UPDATE runs SET status = ?"
        params: list[Any] = [RunStatus(status).value]
        if started is not None:
            sql += ", started = COALESCE(started, ?)"
            params.append(started)
        if ended is not None:
            sql += ", ended = ?"
            params.append(ended)
        if error is not None:
            sql += ", error = ?"
            params.append(json.dumps(dict(error)))
        sql += " WHERE id = ?"
        params.append(run_id)
        if only_from is not None:
            sql += f" AND status IN ({', '.join('?' * len(only_from))})"
            params.extend(RunStatus(s).value for s in only_from)

        def update(cursor: Cursor) -> int:
            changed = cursor.execute(sql + " RETURNING id", params).fetchall()
            if not changed and only_from is None:
                raise RunNotFoundError(f"no run with id {run_id!r} in {self.location}")
            return len(changed)

        return self.db.write(update) > 0

    def claim_runs(self, target: str, limit: int) -> list[RunRecord]:
        """Move the oldest Queued runs of ``target`` to Preparing, as many as keep at most
        ``limit`` runs of the target active; atomic across processes."""

        def claim(cursor: Cursor) -> list[str]:
            self.db.lock(cursor, f"queue:{target}")
            placeholders = ", ".join("?" * len(ACTIVE_SUBMITTED))
            active = cursor.execute(
                f"SELECT COUNT(*) FROM runs WHERE target = ? AND status IN ({placeholders})",
                (target, *(s.value for s in ACTIVE_SUBMITTED)),
            ).fetchone()[0]
            if active >= limit:
                return []
            rows = cursor.execute(
                "SELECT id FROM runs WHERE target = ? AND status = ? ORDER BY created, number LIMIT ?",
                (target, RunStatus.QUEUED.value, limit - active),
            ).fetchall()
            now = time.time()
            cursor.executemany(
                "UPDATE runs SET status = ?, heartbeat = ? WHERE id = ? AND status = ?",
                [(RunStatus.PREPARING.value, now, r[0], RunStatus.QUEUED.value) for r in rows],
            )
            return [r[0] for r in rows]

        return [self.get_run(run_id) for run_id in self.db.write(claim)]

    def set_tags(self, run_id: str, tags: Mapping[str, str | None]) -> None:
        self._require_run(run_id)
        self.db.write(
            lambda c: c.executemany(
                "INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                [(run_id, k, v) for k, v in tags.items()],
            )
        )

    def remove_tags(self, run_id: str, keys: Sequence[str]) -> None:
        self.db.write(
            lambda c: c.executemany(
                "DELETE FROM run_tags WHERE run_id = ? AND key = ?", [(run_id, k) for k in keys]
            )
        )

    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None:
        self._require_run(run_id)

        def add(cursor: Cursor) -> None:
            existing = dict(
                cursor.execute(
                    "SELECT key, value FROM run_properties WHERE run_id = ?", (run_id,)
                ).fetchall()
            )
            for key, value in properties.items():
                if key in existing and existing[key] != value:
                    raise PropertyConflictError(
                        f"property {key!r} of run {run_id!r} is already {existing[key]!r}; properties "
                        f"are write-once, so it cannot become {value!r} (use a tag for values that change)"
                    )
            cursor.executemany(
                "INSERT INTO run_properties (run_id, key, value) VALUES (?, ?, ?)",
                [(run_id, k, v) for k, v in properties.items() if k not in existing],
            )

        self.db.write(add)

    def _require_run(self, run_id: str) -> None:
        found = self.db.read(
            lambda c: c.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone()
        )
        if found is None:
            raise RunNotFoundError(f"no run with id {run_id!r} in {self.location}")

    # metrics and logs -----------------------------------------------------------------------

    def append(self, batch: WriteBatch) -> list[str]:
        """Store a batch of points, log lines and heartbeats in one transaction.
        Returns problems that refused part of the batch (for the writer to report)."""
        refused = drop_unsafe_log_streams(batch)
        return refused + self._metrics.append(batch)

    def metric_kinds(self, run_id: str) -> dict[str, MetricKind]:
        return self.db.read(lambda c: read_metric_kinds(c, run_id))

    def read_metrics(self, run_id: str, names: Sequence[str] | None = None) -> list[MetricData]:
        return self.db.read(lambda c: read_metrics(c, run_id, names))

    def metric_chart(
        self,
        run_id: str,
        name: str,
        buckets: int,
        first_step: int | None = None,
        last_step: int | None = None,
        smoothing: float = 0.0,
    ) -> ChartSeries:
        """Metric ``name`` over a step range in at most ``buckets`` min/max buckets, smoothed
        first by a debiased moving average of weight ``smoothing`` (0: none)."""
        from runhistory.store.sql.charts import read_chart

        self.get_run(run_id)
        return self.db.read(
            lambda c: read_chart(c, run_id, name, buckets, first_step, last_step, smoothing)
        )

    def read_log(self, run_id: str, stream: str, after: int = 0) -> tuple[str, int]:
        """The text of ``stream`` appended after entry ``after``, and the last entry id read."""
        rows = self.db.read(
            lambda c: c.execute(
                "SELECT id, text FROM log_entries WHERE run_id = ? AND stream = ? AND id > ? ORDER BY id",
                (run_id, stream, after),
            ).fetchall()
        )
        if not rows:
            return "", after
        return "".join(r[1] for r in rows), rows[-1][0]

    def log_streams(self, run_id: str) -> list[str]:
        rows = self.db.read(
            lambda c: c.execute(
                "SELECT DISTINCT stream FROM log_entries WHERE run_id = ? ORDER BY stream",
                (run_id,),
            ).fetchall()
        )
        return [r[0] for r in rows]


_ANY = object()

# Submitted runs that hold a place of their compute target.
ACTIVE_SUBMITTED = (
    RunStatus.PREPARING,
    RunStatus.STARTING,
    RunStatus.RUNNING,
    RunStatus.FINALIZING,
    RunStatus.CANCEL_REQUESTED,
    RunStatus.NOT_RESPONDING,
)


def _key_values(wanted: Mapping[str, Any] | Sequence[str] | str | None) -> list[tuple[str, Any]]:
    if wanted is None:
        return []
    if isinstance(wanted, str):
        return [(wanted, _ANY)]
    if isinstance(wanted, Mapping):
        return [(k, _ANY if v is None else str(v)) for k, v in wanted.items()]
    return [(k, _ANY) for k in wanted]
