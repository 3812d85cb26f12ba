"""Small database helpers: configured aliases, vendor checks, server version, quoting."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connections

from .exceptions import NotPostgreSQL, UnknownDatabase


def require_database(using: str) -> str:
    """Return `using` when ``settings.DATABASES`` configures it.

    Raises:
        UnknownDatabase: It does not; the message lists the configured aliases.
    """
    if using not in settings.DATABASES:
        raise UnknownDatabase(
            f"The database {using!r} is not configured; configured aliases: "
            f"{', '.join(settings.DATABASES)}."
        )
    return using


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether the database alias `using` is a PostgreSQL database."""
    return bool(connections[using].vendor == "postgresql")


def require_postgresql(using: str = DEFAULT_DB_ALIAS, *, feature: str = "Tidemark") -> None:
    """Raise `NotPostgreSQL` with a clear message unless `using` is PostgreSQL.

    Args:
        using: The database alias.
        feature: What needs PostgreSQL, named in the message.
    """
    require_database(using)
    if not is_postgresql(using):
        engine = settings.DATABASES[using].get("ENGINE", "?")
        raise NotPostgreSQL(
            f"{feature} needs PostgreSQL, but the database {using!r} uses {engine!r}. "
            "Point it at a PostgreSQL database (ENGINE 'django.db.backends.postgresql')."
        )


def postgresql_check(
    app_label: str, check_id: str, databases: Iterable[str] | None = None
) -> list[checks.CheckMessage]:
    """The system check every app runs: the databases it may use include a PostgreSQL one.

    A project may keep other databases beside PostgreSQL (a SQLite cache, say); the app
    works on its PostgreSQL aliases, and its commands refuse the others with a clear error.
    So the check fails only when none of the databases in question is PostgreSQL: those
    Django passes (``migrate --database lite`` passes one), else all configured ones.

    Args:
        app_label: The app reporting the error, named in the message.
        check_id: The check id, e.g. ``"tidemark_history.E001"``.
        databases: The aliases Django asks about, or None for all configured ones.
    """
    aliases = list(databases) if databases else list(settings.DATABASES)
    if any(is_postgresql(alias) for alias in aliases):
        return []
    return [
        checks.Error(
            f"{app_label} needs PostgreSQL; none of these databases is: {', '.join(aliases)}.",
            hint="Set ENGINE to 'django.db.backends.postgresql' for the database "
            f"{app_label} should use.",
            id=check_id,
        )
    ]


def server_version(using: str = DEFAULT_DB_ALIAS) -> tuple[int, int]:
    """The PostgreSQL server version of `using` as ``(major, minor)``, e.g. ``(18, 6)``."""
    require_postgresql(using)
    with connections[using].cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        number = int(cursor.fetchone()[0])
    return number // 10000, number % 10000


def quote_identifier(name: str) -> str:
    """Quote an SQL identifier for PostgreSQL, doubling embedded quotes.

    Unlike ``connection.ops.quote_name``, this is safe for any string, including names
    that contain double quotes.
    """
    if "\x00" in name:
        raise ValueError("An SQL identifier cannot contain a NUL character.")
    return '"' + name.replace('"', '""') + '"'
