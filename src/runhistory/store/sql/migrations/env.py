"""Alembic environment: migrations run against the URL the store was opened with."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from runhistory.store.sql.schema import metadata

_POSTGRES_MIGRATION_LOCK = 727_368_001  # pg_advisory_lock key: one migrating process at a time


def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({_POSTGRES_MIGRATION_LOCK})")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_POSTGRES_MIGRATION_LOCK})")
            connection.commit()
    engine.dispose()


run_migrations()
