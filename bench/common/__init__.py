"""What the benchmarks share (a package, so that `bench/run.py` does not take it for one)."""

from __future__ import annotations


def recreate_database() -> None:
    """Drop and create the database named by the settings' ``DATABASE_NAME``, empty."""
    import psycopg
    from django.conf import settings
    from django.db.backends.postgresql.base import DatabaseWrapper

    params = {**settings.DATABASES["default"], "NAME": "postgres"}
    conninfo = DatabaseWrapper(params).get_connection_params()
    name = settings.DATABASE_NAME
    with psycopg.connect(**conninfo, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
