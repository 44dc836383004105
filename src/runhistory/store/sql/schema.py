"""The database schema, defined once with SQLAlchemy Core for SQLite and PostgreSQL.

Migrations (``migrations/versions``) are written against these tables; a test checks that a
database migrated to the head revision has exactly this schema. Timestamps are seconds since the
epoch (double precision); JSON is stored as text so that both databases read it the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

Id = sa.String(64)
Timestamp = sa.Float(precision=53)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("archived", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created", Timestamp, nullable=False),
    sa.Column("tags", sa.Text, nullable=False, server_default="{}"),
    sa.Column("run_count", sa.Integer, nullable=False, server_default="0"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(512), primary_key=True),
    sa.Column("experiment_id", Id, sa.ForeignKey("experiments.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("parent_id", sa.String(512), nullable=True),
    sa.Column("display_name", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("run_type", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=True),
    sa.Column("script_name", sa.Text, nullable=True),
    sa.Column("arguments", sa.Text, nullable=False, server_default="[]"),
    sa.Column("created", Timestamp, nullable=False),
    sa.Column("started", Timestamp, nullable=True),
    sa.Column("ended", Timestamp, nullable=True),
    sa.Column("heartbeat", Timestamp, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("snapshot_id", Id, nullable=True),
    # Denormalised {name: [kind, count, last_step, last, min, max]} so run tables never read metrics.
    sa.Column("metrics_summary", sa.Text, nullable=False, server_default="{}"),
    # Submitted runs: how to run them (script or command, environment, time limit) as JSON.
    sa.Column("config", sa.Text, nullable=True),
    sa.UniqueConstraint("experiment_id", "number", name="uq_runs_experiment_number"),
    sa.Index("ix_runs_experiment_created", "experiment_id", "created"),
    sa.Index("ix_runs_parent", "parent_id"),
    sa.Index("ix_runs_status", "status"),
    sa.Index("ix_runs_target_status", "target", "status"),
)

run_tags = sa.Table(
    "run_tags",
    metadata,
    sa.Column("run_id", sa.String(512), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=True),
)

run_properties = sa.Table(
    "run_properties",
    metadata,
    sa.Column("run_id", sa.String(512), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("run_id", sa.String(512), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("columns", sa.Text, nullable=True),
    sa.Column("count", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("last_step", sa.BigInteger, nullable=True),
    sa.Column("chunk_count", sa.Integer, nullable=False, server_default="0"),
)

metric_chunks = sa.Table(
    "metric_chunks",
    metadata,
    sa.Column("run_id", sa.String(512), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_step", sa.BigInteger, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.ForeignKeyConstraint(["run_id", "name"], ["metrics.run_id", "metrics.name"]),
)

# Per-block first/last step and min/max value of a chunk of numbers, for charts
# (``store/overview.py``); kept apart from the chunk so that reading it never reads the points.
metric_overviews = sa.Table(
    "metric_overviews",
    metadata,
    sa.Column("run_id", sa.String(512), primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.ForeignKeyConstraint(["run_id", "name"], ["metrics.run_id", "metrics.name"]),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("run_id", sa.String(512), sa.ForeignKey("runs.id"), primary_key=True),
    sa.Column("name", sa.String(1024), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("created", Timestamp, nullable=False),
)

log_entries = sa.Table(
    "log_entries",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(512), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("stream", sa.String(255), nullable=False),
    sa.Column("created", Timestamp, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_log_entries_run_stream", "run_id", "stream", "id"),
)

snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("manifest", sa.Text, nullable=False),
    sa.Column("file_count", sa.Integer, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created", Timestamp, nullable=False),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.String(512), sa.ForeignKey("runs.id"), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("files", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False, server_default="{}"),
    sa.Column("properties", sa.Text, nullable=False, server_default="{}"),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("created", Timestamp, nullable=False),
)

# Write batches a server has stored, by the sending client and its sequence number, so that a
# batch retried after a lost response is stored once.
applied_batches = sa.Table(
    "applied_batches",
    metadata,
    sa.Column("client_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("applied", Timestamp, nullable=False),
)

# Bearer tokens of a server with auth on: only the sha256 of each secret is kept.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("scopes", sa.String(64), nullable=False),
    sa.Column("created", Timestamp, nullable=False),
    sa.Column("revoked", Timestamp, nullable=True),
)
