"""Fixtures of the history suite."""

from __future__ import annotations

from typing import Any

from django.db import connections, models


def events(model: type[models.Model], using: str = "default") -> list[dict[str, Any]]:
    """The event rows of `model`'s event table, in the order they were recorded."""
    return list(
        model._default_manager.using(using).order_by("history_id").values()  # type: ignore[attr-defined]
    )


def raw(sql: str, params: Any = None, using: str = "default") -> list[tuple[Any, ...]]:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
