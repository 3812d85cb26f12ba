"""`events()`: one timeline across every event model, newest first, sliceable and paginated.

Each event table is asked on its own, with the filters pushed down, its own ORDER BY and
LIMIT, and the index that serves them, never through one UNION sorted as a whole:

- one row (``obj=``) or one context: the ``(history_object_id, history_at)`` index or the
  context index;
- otherwise (the whole timeline, a model, a label, a reference): the ``history_at`` BRIN
  index, from a floor: the oldest ``history_at`` among the table's newest ``k`` events by
  primary key (a backward scan of ``k`` entries). Every one of the newest ``k`` by time is
  at least that recent, whatever order concurrent transactions committed in.

Every table's candidates come back in one UNION ALL of those limited branches, with their
contexts (see `union`): a page of ``n`` events reads at most ``n`` (plus the offset) rows
per table, in one query (two for the whole timeline: the floors first).
"""

from __future__ import annotations

import datetime
import heapq
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, overload

from django.db import connections, models

from . import union
from .event import Event
from .exceptions import HistoryError
from .reading import _concrete, _resolve_model, all_specs, event_models

if TYPE_CHECKING:
    from django.db.models.query import QuerySet

    from .tracking import EventSpec

CHUNK = 500
CONTEXTS_LISTED = 5000
# A Context, its id (UUID or string), or an entered history.context() block.
ContextRef = Any


def _key(event: Event) -> tuple[datetime.datetime, str, int]:
    return (event.history_at, event._meta.label_lower, event.history_id)  # type: ignore[attr-defined]


def _context_id(value: ContextRef) -> uuid.UUID:
    from .models import Context

    if isinstance(value, Context):
        return uuid.UUID(str(value.pk))
    if isinstance(value, uuid.UUID):
        return value
    block_id = getattr(value, "id", None)
    if isinstance(block_id, uuid.UUID):  # a history.context() block, once entered
        return block_id
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise HistoryError(
            f"context={value!r} is not a Context, a context id or an entered "
            "history.context() block."
        ) from None


def with_descendants(ids: Iterable[uuid.UUID], using: str) -> list[uuid.UUID]:
    """`ids` and the ids of every context derived from them (nested blocks, a block's
    later metadata), following ``parent`` (its index); a context whose own row was never
    written (its block recorded nothing itself) still leads to those derived from it."""
    from .models import Context

    roots = list(ids)
    if not roots:
        return []
    table = connections[using].ops.quote_name(Context._meta.db_table)
    with connections[using].cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE tree(id) AS (SELECT unnest(%s::uuid[]) UNION "
            f"SELECT child.id FROM {table} AS child JOIN tree ON child.parent = tree.id) "
            "SELECT id FROM tree",
            [roots],
        )
        return [row[0] for row in cursor.fetchall()]


def _metadata_filter(lookups: dict[str, Any]) -> models.Q:
    """Plain keys use the metadata's containment (GIN-indexable); others a JSON lookup."""
    plain = {key: value for key, value in lookups.items() if "__" not in key}
    query = models.Q(metadata__contains=plain) if plain else models.Q()
    for key, value in lookups.items():
        if "__" in key:
            query &= models.Q(**{f"metadata__{key}": value})
    return query


@dataclass(frozen=True)
class _Filters:
    tracked: tuple[type[models.Model], ...] | None = None
    obj: models.Model | None = None
    references: tuple[models.Model, ...] = ()
    contexts: tuple[uuid.UUID, ...] | None = None
    metadata: tuple[tuple[str, Any], ...] = ()
    labels: tuple[str, ...] | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    extra: tuple[models.Q, ...] = field(default=())


class Timeline:
    """The events of every tracked model, newest first (by ``history_at``, then id).

    Build one with `tidemark_history.events()`; narrow it with `filter()`; slice it,
    iterate it, count it, or hand it to Django's `Paginator`. Nothing is read until then.
    Items are instances of the event models (with their context loaded), so a page can
    mix ``ProductEvent`` and ``CategoryEvent`` rows.
    """

    def __init__(self, using: str = "default", filters: _Filters | None = None) -> None:
        self._using = using
        self._filters = filters or _Filters()
        self._count: int | None = None
        self._contexts: list[Any] | QuerySet[Any] | None = None
        self._tree: list[uuid.UUID] | None = None

    def __repr__(self) -> str:
        return f"<Timeline {self[:5]!r}{'...' if self.count() > 5 else ''}>"

    def using(self, alias: str) -> Timeline:
        """The same timeline on another database alias."""
        return Timeline(alias, self._filters)

    def filter(  # noqa: C901 - one branch per documented filter
        self,
        obj: models.Model | None = None,
        *,
        model: type[models.Model] | str | Iterable[type[models.Model] | str] | None = None,
        references: models.Model | None = None,
        context: ContextRef | Iterable[ContextRef] | None = None,
        label: str | Iterable[str] | None = None,
        since: datetime.datetime | None = None,
        until: datetime.datetime | None = None,
        **metadata: Any,
    ) -> Timeline:
        """Narrow the timeline; every argument given must hold (see `events()`)."""
        current = self._filters
        changes: dict[str, Any] = {}
        if obj is not None:
            if obj.pk is None:
                raise HistoryError(f"events(obj=...) needs a saved row, not an unsaved {obj!r}.")
            changes["obj"] = obj
            model = model if model is not None else type(obj)
        if model is not None:
            chosen = [model] if isinstance(model, str | type) else list(model)
            resolved = tuple(_concrete(_resolve_model(item)) for item in chosen)
            untracked = [item.__name__ for item in resolved if not event_models(item)]
            if untracked:
                raise HistoryError(
                    f"events(): {', '.join(untracked)} is not tracked; it has no events."
                )
            if current.tracked is not None:
                resolved = tuple(item for item in resolved if item in current.tracked)
            changes["tracked"] = resolved
        if references is not None:
            if references.pk is None:
                raise HistoryError("events(references=...) needs a saved row.")
            changes["references"] = (*current.references, references)
        if context is not None:
            single = isinstance(context, uuid.UUID | str) or hasattr(context, "id")
            items = [context] if single else list(context)
            ids = tuple(_context_id(item) for item in items)
            if current.contexts is not None:
                ids = tuple(item for item in ids if item in current.contexts)
            changes["contexts"] = ids
        if label is not None:
            labels = (label,) if isinstance(label, str) else tuple(label)
            if current.labels is not None:
                labels = tuple(item for item in labels if item in current.labels)
            changes["labels"] = labels
        for name, value in (("since", since), ("until", until)):
            if value is not None:
                if not isinstance(value, datetime.datetime) or value.tzinfo is None:
                    raise HistoryError(f"events({name}=...) needs a timezone-aware datetime.")
                changes[name] = value
        if metadata:
            changes["metadata"] = (*current.metadata, *metadata.items())
        return Timeline(self._using, replace(current, **changes))

    # --- what each table is asked -------------------------------------------------------

    def _specs(self) -> list[EventSpec]:
        filters = self._filters
        specs = all_specs()
        if filters.tracked is not None:
            specs = [spec for spec in specs if spec.tracked in filters.tracked]
        if filters.labels is not None:
            specs = [spec for spec in specs if set(spec.labels) & set(filters.labels)]
        for target in filters.references:
            specs = [spec for spec in specs if _reference_fields(spec, target)]
        return specs

    def _queryset(self, spec: EventSpec) -> QuerySet[Any]:
        filters = self._filters
        events = spec.event_model._default_manager.using(self._using).select_related(
            "history_context"
        )
        if filters.obj is not None:
            events = events.filter(history_object_id=filters.obj.pk)
        for target in filters.references:
            match = models.Q()
            for name in _reference_fields(spec, target):
                match |= models.Q(**{f"{name}_id": target.pk})
            events = events.filter(match)
        if filters.contexts is not None:
            events = events.filter(history_context_id__in=self._context_tree())
        if filters.metadata:
            events = events.filter(history_context_id__in=self._matching_contexts())
        if filters.labels is not None:
            events = events.filter(history_label__in=list(filters.labels))
        if filters.since is not None:
            events = events.filter(history_at__gte=filters.since)
        if filters.until is not None:
            events = events.filter(history_at__lte=filters.until)
        return events

    def _context_tree(self) -> list[uuid.UUID]:
        """The contexts asked for and every context derived from them, read once."""
        if self._tree is None:
            self._tree = with_descendants(self._filters.contexts or (), self._using)
        return self._tree

    def _matching_contexts(self) -> list[Any] | QuerySet[Any]:
        """The ids of the contexts the metadata lookups match, read once per timeline.

        As a list of values, the planner of each event table's query sees how few they are
        and reads their events through the context index; past `CONTEXTS_LISTED` ids, a
        subquery (one plan for many contexts: a hash join).
        """
        if self._contexts is None:
            from .models import Context

            contexts = Context.objects.using(self._using).filter(
                _metadata_filter(dict(self._filters.metadata))
            )
            ids = list(contexts.values_list("id", flat=True)[: CONTEXTS_LISTED + 1])
            self._contexts = ids if len(ids) <= CONTEXTS_LISTED else contexts.values("id")
        return self._contexts

    def _indexed_order(self) -> bool:
        """Whether an index serves ``ORDER BY history_at`` for these filters."""
        filters = self._filters
        return (
            filters.obj is not None
            or filters.contexts is not None
            or bool(filters.metadata)
            or filters.until is not None
        )

    def _sql(self, queryset: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
        sql, params = queryset.query.get_compiler(using=self._using).as_sql()
        return sql, tuple(params)

    def _union(self, branches: list[tuple[str, tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
        params = [param for _sql, branch_params in branches for param in branch_params]
        with connections[self._using].cursor() as cursor:
            cursor.execute(" UNION ALL ".join(sql for sql, _params in branches), params)
            return list(cursor.fetchall())

    def _floors(self, specs: list[EventSpec], k: int) -> dict[int, datetime.datetime | None]:
        """Per table, the oldest ``history_at`` among its newest `k` events by id.

        Every one of a table's newest `k` events by time is at least that recent, so the
        BRIN index on ``history_at`` then reads only the last block ranges. One query for
        every table; each reads `k` entries of its primary key backwards. Passed to the next
        query as a value, so the planner sees how few rows are that recent.
        """
        branches = []
        for number, spec in enumerate(specs):
            by_id = self._queryset(spec).order_by("-history_id").values("history_at")[:k]
            sql, params = self._sql(by_id)
            newest = f"SELECT min(_newest.history_at) FROM ({sql}) AS _newest"
            branches.append((f"SELECT {number}, ({newest})", params))
        return dict(self._union(branches))

    def _newest(
        self, spec: EventSpec, k: int, floor: datetime.datetime | None = None
    ) -> QuerySet[Any]:
        """The newest `k` events of one table, ordered and limited in SQL."""
        events = self._queryset(spec)
        if not self._indexed_order():
            if floor is None:
                return events.none()
            events = events.filter(history_at__gte=floor)
        return events.order_by("-history_at", "-history_id")[:k]

    def _page(self, stop: int) -> list[Event]:
        """The newest `stop` events: one query for one table; else one UNION ALL of every
        table's newest, each branch ordered and limited on its own (plus, for the whole
        timeline, the query of the floors)."""
        specs = self._specs()
        if not specs:
            return []
        floors = {} if self._indexed_order() else self._floors(specs, stop)
        if len(specs) == 1:
            return list(self._newest(specs[0], stop, floors.get(0)))
        branches = []
        for number, spec in enumerate(specs):
            newest = self._newest(spec, stop, floors.get(number))
            if not newest.query.is_empty():
                branches.append((number, newest))
        if not branches:
            return []
        labels = [spec.event_model._meta.label_lower for spec in specs]
        return union.read(self._using, branches, stop, labels)

    # --- the sequence protocol ------------------------------------------------------------

    def count(self) -> int:
        """The number of events (one COUNT per event table that can match)."""
        if self._count is None:
            self._count = sum(self._queryset(spec).count() for spec in self._specs())
        return self._count

    def __len__(self) -> int:
        return self.count()

    def exists(self) -> bool:
        """Whether any event matches."""
        return any(self._queryset(spec).exists() for spec in self._specs())

    def first(self) -> Event | None:
        """The newest event, or None."""
        page = self[:1]
        return page[0] if page else None

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: int | slice) -> Event | list[Event]:
        if isinstance(index, int):
            if index < 0:
                raise HistoryError("A timeline is newest first; negative indexes are refused.")
            page = self[index : index + 1]
            if not page:
                raise IndexError("timeline index out of range")
            return page[0]
        start, stop, step = index.start or 0, index.stop, index.step
        if start < 0 or (stop is not None and stop < 0) or step not in (None, 1):
            raise HistoryError(
                "A timeline slices with non-negative bounds and no step ([:50], [50:100])."
            )
        if stop is None:
            return list(self)[start:]
        if stop <= start:
            return []
        return self._page(stop)[start:]

    def __iter__(self) -> Iterator[Event]:
        """Every event, newest first, read in chunks from each table at once."""
        return heapq.merge(*(self._walk(spec) for spec in self._specs()), key=_key, reverse=True)

    def _walk(self, spec: EventSpec) -> Iterator[Event]:
        events = self._queryset(spec).order_by("-history_at", "-history_id")
        chunk = list(events[:CHUNK])
        while chunk:
            yield from chunk
            if len(chunk) < CHUNK:
                return
            last = chunk[-1]
            chunk = list(
                events.filter(
                    models.Q(history_at__lt=last.history_at)
                    | models.Q(history_at=last.history_at, history_id__lt=last.history_id)
                )[:CHUNK]
            )


def _reference_fields(spec: EventSpec, target: models.Model) -> list[str]:
    """The copied foreign keys of `spec` that can point at `target`."""
    model = _concrete(type(target))
    return [
        field.name
        for field in spec.tracked_fields
        if field.is_relation
        and field.related_model is not None
        and isinstance(field.related_model, type)
        and _concrete(field.related_model) is model
    ]


def events(
    obj: models.Model | None = None,
    *,
    model: type[models.Model] | str | Iterable[type[models.Model] | str] | None = None,
    references: models.Model | None = None,
    context: ContextRef | Iterable[ContextRef] | None = None,
    label: str | Iterable[str] | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    using: str = "default",
    **metadata: Any,
) -> Timeline:
    """The events of every tracked model, newest first, as one lazy `Timeline`.

    Args:
        obj: Only the events of this row (of each ``track()`` of its model).
        model: Only the events of this tracked model (or these; a class or
            ``"app_label.ModelName"``).
        references: Only events whose copied foreign keys point at this row (every
            event that names a given author).
        context: Only the events of this context (a `Context`, its id, an entered
            ``history.context()`` block, or several of them).
        label: Only events with this label (or these labels).
        since: Only events at or after this aware datetime.
        until: Only events at or before this aware datetime.
        using: The database alias.
        **metadata: Lookups on the context's metadata: ``user=42`` (the metadata holds
            ``"user": 42``) or ``path__startswith="/admin/"`` (any JSON lookup).

    Returns:
        A `Timeline`: slice it (``[:50]``), iterate it, ``count()`` it, or paginate it.
    """
    return Timeline(using).filter(
        obj,
        model=model,
        references=references,
        context=context,
        label=label,
        since=since,
        until=until,
        **metadata,
    )
