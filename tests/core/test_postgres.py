"""PostgreSQL helpers: vendor checks, server version and identifier quoting."""

from __future__ import annotations

import pytest
from django.db import connection

from tidemark_core import (
    NotPostgreSQL,
    UnknownDatabase,
    is_postgresql,
    postgresql_check,
    quote_identifier,
    require_database,
    require_postgresql,
    server_version,
)


def test_vendor_helpers_tell_postgresql_from_others() -> None:
    assert is_postgresql("default")
    assert not is_postgresql("lite")
    require_postgresql("default")
    with pytest.raises(NotPostgreSQL, match="Backfill needs PostgreSQL, but the database 'lite'"):
        require_postgresql("lite", feature="Backfill")


def test_postgresql_check_fails_only_without_any_postgresql_database() -> None:
    assert postgresql_check("tidemark_x", "tidemark_x.E001", ["default", "other"]) == []
    # Another vendor beside PostgreSQL is fine: the app works on the PostgreSQL aliases.
    assert postgresql_check("tidemark_x", "tidemark_x.E001", ["default", "lite"]) == []
    assert postgresql_check("tidemark_x", "tidemark_x.E001") == []

    [error] = postgresql_check("tidemark_x", "tidemark_x.E001", ["lite"])

    assert error.id == "tidemark_x.E001"
    assert "none of these databases is: lite" in error.msg
    assert "django.db.backends.postgresql" in error.hint


@pytest.mark.django_db
def test_server_version_matches_the_server() -> None:
    major, minor = server_version()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        number = int(cursor.fetchone()[0])
    assert (major, minor) == (number // 10000, number % 10000)
    assert major >= 14


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["plain", "Mixed Case", 'with "quotes"', "semi;colon --"])
def test_quote_identifier_round_trips_any_name(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 AS {quote_identifier(name)}")
        assert cursor.description[0].name == name


def test_quote_identifier_rejects_nul() -> None:
    with pytest.raises(ValueError, match="NUL"):
        quote_identifier("a\x00b")


def test_unknown_aliases_are_named_with_the_configured_ones() -> None:
    assert require_database("other") == "other"
    message = "The database 'prod' is not configured; configured aliases: default, other, lite."
    with pytest.raises(UnknownDatabase) as error:
        require_database("prod")
    assert str(error.value) == message
    with pytest.raises(UnknownDatabase):
        require_postgresql("prod")
