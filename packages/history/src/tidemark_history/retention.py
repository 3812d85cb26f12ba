"""Retention: `prune()` removes the events recorded before a date, and the contexts left
without an event, through the privileged maintenance path only.

On a partitioned event table, each partition whose whole period lies before the date is
detached and dropped (``tidemark_history_drop_partition``, a ``SECURITY DEFINER``
function like those of `tidemark_history.maintenance`); the other events before the date
are deleted by primary key, `batch_size` per transaction
(``tidemark_history_delete``). The append-only guard stays in force for everyone else
throughout: an ordinary ``DELETE`` is refused while a prune runs and after it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connections, models
from django.utils import timezone

from .conf import batch_size as default_batch_size
from .exceptions import HistoryError, MaintenanceError
from .partitions import partitions, period_of
from .tracking import specs_of

if TYPE_CHECKING:
    from .models import Context

Progress = Callable[[str, int, "int | None"], None]

DROP_FUNCTION = "tidemark_history_drop_partition(regclass)"


@dataclass(frozen=True)
class PrunedTable:
    """What `prune()` removed (or would remove) from one event model."""

    event_model: type[models.Model]
    events: int
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Pruned:
    """What `prune()` removed (or, with ``dry_run``, would remove)."""

    before: datetime.datetime
    tables: list[PrunedTable]
    contexts: int
    dry_run: bool

    @property
    def events(self) -> int:
        """Events removed from every event model together."""
        return sum(table.events for table in self.tables)

    def as_dict(self) -> dict[str, Any]:
        """The result as the ``--json`` document of ``history_prune`` has it."""
        return {
            "before": self.before.isoformat(),
            "dry_run": self.dry_run,
            "events": self.events,
            "contexts": self.contexts,
            "tables": [
                {"model": t.event_model._meta.label, "events": t.events, "dropped": t.dropped}
                for t in self.tables
            ],
        }


def _context_model() -> type[Context]:
    # Imported when used: the package is imported before Django's app registry is ready.
    from .models import Context

    return Context


def cutoff(
    before: datetime.datetime | datetime.date | None = None,
    older_than: datetime.timedelta | None = None,
) -> datetime.datetime:
    """The aware datetime events older than which are pruned (exactly one argument given).

    A date means its midnight in the current time zone; a naive datetime is read in it too.

    Raises:
        HistoryError: Neither or both given, or a moment in the future.
    """
    if (before is None) == (older_than is None):
        raise HistoryError("Give exactly one of before= and older_than=.")
    now = timezone.now()
    if older_than is not None:
        if older_than < datetime.timedelta(0):
            raise HistoryError(f"older_than must not be negative, not {older_than}.")
        moment = now - older_than
    elif isinstance(before, datetime.datetime):
        moment = before if timezone.is_aware(before) else timezone.make_aware(before)
    else:
        assert before is not None
        moment = timezone.make_aware(datetime.datetime.combine(before, datetime.time.min))
    if moment > now:
        raise HistoryError(
            f"The cut-off {moment.isoformat()} is in the future: that would prune events "
            "not recorded yet. Give a date in the past."
        )
    return moment


def event_models_of(model: type[models.Model] | None) -> list[type[models.Model]]:
    """Every event model (None), the event models of a tracked model, or an event model."""
    from . import maintenance

    every = [m for m in maintenance.history_models() if m is not _context_model()]
    if model is None:
        return every
    if model in every:
        return [model]
    specs = specs_of(model._meta.concrete_model or model)
    if not specs:
        raise HistoryError(
            f"{model._meta.label} is neither a tracked model nor an event model; name a "
            "model decorated with @history.track() or one of its event models."
        )
    return [spec.event_model for spec in specs]


def prune(
    before: datetime.datetime | datetime.date | None = None,
    *,
    older_than: datetime.timedelta | None = None,
    model: type[models.Model] | None = None,
    using: str = "default",
    batch_size: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> Pruned:
    """Remove the events recorded before `before` (or `older_than` ago), and the contexts
    recorded before then that no event points to any more.

    Args:
        before: The cut-off: a datetime, or a date (its midnight, current time zone).
        older_than: Or the cut-off as an age, e.g. ``timedelta(days=90)``.
        model: Only this tracked model's event models (or this event model); contexts are
            pruned only when every event model is.
        using: The database alias.
        batch_size: Events per transaction (default ``TIDEMARK_HISTORY_BATCH_SIZE``).
        dry_run: Count what would be removed, remove nothing.
        progress: Called as ``progress(task, done, total)`` as the work advances.

    Returns:
        What was removed (or would be), per event model, with the number of contexts.

    Raises:
        HistoryError: Bad arguments.
        MaintenanceError: The database role may not take the maintenance path.
    """
    moment = cutoff(before, older_than)
    size = default_batch_size() if batch_size is None else batch_size
    if size < 1:
        raise HistoryError(f"The batch size must be at least 1, not {size}.")
    tables = [
        _prune_table(event_model, moment, using, size, dry_run, progress)
        for event_model in event_models_of(model)
    ]
    contexts = 0 if model is not None else _prune_contexts(moment, using, size, dry_run, progress)
    return Pruned(moment, tables, contexts, dry_run)


def _prune_table(
    event_model: type[models.Model],
    moment: datetime.datetime,
    using: str,
    size: int,
    dry_run: bool,
    progress: Progress | None,
) -> PrunedTable:
    old = event_model._default_manager.using(using).filter(history_at__lt=moment)
    whole = []
    if period_of(event_model) is not None:
        whole = [
            p.name
            for p in partitions(event_model, using)
            if not p.is_default and p.upper is not None and p.upper <= moment
        ]
    if dry_run:
        return PrunedTable(event_model, old.count(), whole)
    removed = sum(_drop_partition(name, using) for name in whole)
    task = f"{event_model._meta.label} events"
    total = old.count() + removed if progress is not None else None
    if progress is not None:
        progress(task, removed, total)
    last: Any = None
    while True:
        batch = old if last is None else old.filter(pk__gt=last)
        keys = list(batch.order_by("pk").values_list("pk", flat=True)[:size])
        if not keys:
            return PrunedTable(event_model, removed, whole)
        chosen = event_model._default_manager.using(using).filter(pk__in=keys)
        removed += _maintenance().delete(chosen, batch_size=size)
        last = keys[-1]
        if progress is not None:
            progress(task, removed, total)


def _drop_partition(name: str, using: str) -> int:
    try:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT tidemark_history_drop_partition(%s::regclass)", [name])
            return int(cursor.fetchone()[0])
    except DatabaseError as error:
        cause = error.__cause__
        if (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == "42501":
            raise MaintenanceError(
                f"The database role of {using!r} may not drop history partitions: "
                f"{str(error).splitlines()[0]}. Run this as the role that owns the history "
                f"tables, or grant it: GRANT EXECUTE ON FUNCTION {DROP_FUNCTION} TO <role>;"
            ) from error
        raise


def _maintenance() -> Any:
    from . import maintenance

    return maintenance


def _context_guarded(using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND tgname LIKE 'pgtrigger\\_append\\_only\\_%%')",
            [_context_model()._meta.db_table],
        )
        return bool(cursor.fetchone()[0])


def delete_contexts(keys: list[Any], using: str) -> int:
    """Delete the contexts `keys`: through the maintenance path once the context table is
    append-only, with an ordinary DELETE while it is not."""
    chosen = _context_model().objects.using(using).filter(pk__in=keys)
    if _context_guarded(using):
        return int(_maintenance().delete(chosen))
    return int(chosen._raw_delete(using))


def update_context(key: Any, metadata: dict[str, Any], using: str) -> int:
    """Rewrite one context's metadata, the same way `delete_contexts` deletes."""
    chosen = _context_model().objects.using(using).filter(pk=key)
    if _context_guarded(using):
        return int(_maintenance().update(chosen, metadata=metadata))
    return int(chosen.update(metadata=metadata))


def _orphans(moment: datetime.datetime, using: str) -> tuple[str, list[Any]]:
    """The WHERE clause of contexts recorded before `moment` that nothing points to."""
    quote = connections[using].ops.quote_name
    Context = _context_model()
    clauses = ["_context.created_at < %s"]
    for relation in Context._meta.get_fields(include_hidden=True):
        if not (relation.one_to_many and relation.related_model):
            continue
        related = relation.related_model
        assert not isinstance(related, str)
        column = str(relation.field.column)  # type: ignore[union-attr]
        clauses.append(
            f"NOT EXISTS (SELECT 1 FROM {quote(related._meta.db_table)} AS _ref "
            f"WHERE _ref.{quote(column)} = _context.id)"
        )
    # A context derived from another (a nested block) names it in its parent column: a
    # parent stays while a child does.
    parent = next((f for f in Context._meta.concrete_fields if f.name == "parent"), None)
    if parent is not None and not parent.is_relation:
        clauses.append(
            f"NOT EXISTS (SELECT 1 FROM {quote(Context._meta.db_table)} AS _child "
            f"WHERE _child.{quote(str(parent.column))} = _context.id)"
        )
    return " AND ".join(clauses), [moment]


def _prune_contexts(
    moment: datetime.datetime, using: str, size: int, dry_run: bool, progress: Progress | None
) -> int:
    where, params = _orphans(moment, using)
    table = _context_model()._meta.db_table
    with connections[using].cursor() as cursor:
        if dry_run:
            cursor.execute(f"SELECT count(*) FROM {table} AS _context WHERE {where}", params)
            return int(cursor.fetchone()[0])
    removed = 0
    while True:
        with connections[using].cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {table} AS _context WHERE {where} LIMIT %s", [*params, size]
            )
            keys = [row[0] for row in cursor.fetchall()]
        if not keys:
            return removed
        removed += delete_contexts(keys, using)
        if progress is not None:
            progress("contexts", removed, None)
