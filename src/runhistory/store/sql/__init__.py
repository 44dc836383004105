"""The SQL store: one schema and one set of queries for SQLite and PostgreSQL."""
