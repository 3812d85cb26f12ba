"""Run a dataset's own code (spec functions, mappers) against the database being synced."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import router

_alias: ContextVar[str | None] = ContextVar("tidemark_data_sync_alias", default=None)


class _Router:
    """Sends queries that name no database to the alias of the current sync, if any."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return _alias.get()

    db_for_write = db_for_read


_ROUTER = _Router()


@contextmanager
def database(alias: str) -> Iterator[None]:
    """Inside the block, ORM queries that name no database go to `alias`.

    A spec function such as ``Child.objects.filter(...)`` then reads the database being
    dumped from or loaded into, not ``default``. The router stays installed (first) once
    used; outside such a block, and in other threads and tasks, it defers to the project's
    routers.
    """
    routers = router.routers
    if not any(item is _ROUTER for item in routers):
        routers.insert(0, _ROUTER)
    token = _alias.set(alias)
    try:
        yield
    finally:
        _alias.reset(token)
