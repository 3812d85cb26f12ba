"""Erasure: `redact()` rewrites fields of one object's events and strips their values from
context metadata, through the privileged maintenance path, and records that it did.

The record (`tidemark_history.models.Redaction`, append-only like the events) says when,
which model, object and fields, how many events and contexts were rewritten, who asked and
which database role ran it; never the erased values.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connections, models, transaction

from .conf import batch_size as default_batch_size
from .exceptions import HistoryError
from .retention import _context_model, _maintenance, update_context
from .tracking import EventSpec, specs_of

if TYPE_CHECKING:
    from .models import Redaction


@dataclass(frozen=True)
class Redacted:
    """What `redact()` rewrote, and its record."""

    events: int
    contexts: int
    record: Redaction


def _checked_fields(
    model: type[models.Model], specs: list[EventSpec], fields: Iterable[str]
) -> list[str]:
    names = list(dict.fromkeys(fields))
    tracked = {name for spec in specs for name in spec.tracked_names}
    unknown = sorted(set(names) - tracked)
    if not names or unknown:
        raise HistoryError(
            f"redact() of {model._meta.label}: name fields its events copy"
            + (f"; {unknown} are not among them" if unknown else "")
            + f" (they are {sorted(tracked)})."
        )
    return names


def _matches(item: Any, erased: set[str], identifiers: set[str]) -> bool:
    if isinstance(item, str):
        return item in erased or item in identifiers
    return isinstance(item, int) and not isinstance(item, bool) and str(item) in identifiers


def _strip(value: Any, erased: set[str], identifiers: set[str]) -> tuple[Any, bool]:
    """`value` without the erased values (dict entries and list items removed)."""
    if isinstance(value, dict):
        kept, changed = {}, False
        for key, item in value.items():
            if _matches(item, erased, identifiers):
                changed = True
                continue
            kept[key], inner = _strip(item, erased, identifiers)
            changed = changed or inner
        return kept, changed
    if isinstance(value, list):
        items, changed = [], False
        for item in value:
            if _matches(item, erased, identifiers):
                changed = True
                continue
            stripped, inner = _strip(item, erased, identifiers)
            items.append(stripped)
            changed = changed or inner
        return items, changed
    return value, False


def redact(
    model: type[models.Model],
    pk: Any,
    fields: Iterable[str],
    *,
    replacements: dict[str, Any] | None = None,
    context_values: Iterable[Any] = (),
    by: str | None = None,
    using: str = "default",
    batch_size: int | None = None,
    dry_run: bool = False,
) -> Redacted:
    """Erase `fields` of the object `pk` of `model` from its recorded history.

    In one transaction: every event of that object, in each event model that copies one of
    the fields, gets the field set to NULL (or to the value in `replacements`); every context
    whose metadata holds one of the erased values (the distinct strings those events and the
    live row had) as a value, or one of `context_values` (e.g. the person's user id, as a
    string or a number), loses those entries (dict keys and list items; text that merely
    contains a value is left as it is); and a `Redaction` row records when, what and who,
    without the values.

    The live row is not changed: erase or delete it with your own code.

    Args:
        model: A tracked model.
        pk: The primary key of the object.
        fields: Names of tracked fields.
        replacements: The value to write instead of the blank one, per field name.
        context_values: More values to strip from context metadata.
        by: Who asked (recorded; default: the operating-system user).
        using: The database alias.
        batch_size: Events per maintenance call (default ``TIDEMARK_HISTORY_BATCH_SIZE``).
        dry_run: Do it all, then roll it back: the counts of what it would rewrite.

    Raises:
        HistoryError: An untracked model, or fields its events do not copy.
        MaintenanceError: The database role may not take the maintenance path.
    """
    concrete = model._meta.concrete_model or model
    specs = specs_of(concrete)
    if not specs:
        raise HistoryError(f"{model._meta.label} is not tracked; nothing to redact.")
    names = _checked_fields(concrete, specs, fields)
    pk_field = concrete._meta.pk
    assert pk_field is not None
    key = pk_field.to_python(pk)
    size = default_batch_size() if batch_size is None else batch_size
    if size < 1:
        raise HistoryError(f"The batch size must be at least 1, not {size}.")
    identifiers = {str(value) for value in context_values} - {""}
    erased: set[str] = set()
    events = 0
    with transaction.atomic(using=using):
        live = concrete._base_manager.using(using).filter(pk=key).values(*names).first()
        erased.update(value for value in (live or {}).values() if isinstance(value, str))
        for spec in specs:
            events += _redact_events(spec, key, names, replacements or {}, erased, using, size)
        erased.discard("")
        contexts = _redact_contexts(erased, identifiers, using)
        from .models import Redaction

        record = Redaction.objects.using(using).create(
            model=concrete._meta.label,
            object_id=str(key),
            fields=names,
            events=events,
            contexts=contexts,
            requested_by=by or getpass.getuser(),
            database_role=_role(using),
        )
        if dry_run:
            transaction.set_rollback(True, using=using)
    return Redacted(events, contexts, record)


def _redact_events(
    spec: EventSpec,
    key: Any,
    names: list[str],
    replacements: dict[str, Any],
    erased: set[str],
    using: str,
    size: int,
) -> int:
    own = [name for name in names if name in spec.tracked_names]
    if not own:
        return 0
    event_model = spec.event_model
    events = event_model._default_manager.using(using).filter(history_object_id=key)
    for row in events.values_list(*own):
        erased.update(value for value in row if isinstance(value, str))
    # Event columns are always nullable: NULL erases, unless a replacement is given.
    values = {name: replacements.get(name) for name in own}
    return int(_maintenance().update(events, batch_size=size, **values))


def _redact_contexts(erased: set[str], identifiers: set[str], using: str) -> int:
    if not erased | identifiers:
        return 0
    quote = connections[using].ops.quote_name
    # A cheap first pass over the metadata's text, then the exact test on each candidate.
    patterns = [
        f"%{_like(json.dumps(value, ensure_ascii=False)[1:-1])}%" for value in erased | identifiers
    ]
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {quote(_context_model()._meta.db_table)} "
            "WHERE metadata::text LIKE ANY(%s)",
            [patterns],
        )
        candidates = [row[0] for row in cursor.fetchall()]
    changed = 0
    for context in _context_model().objects.using(using).filter(pk__in=candidates).order_by("pk"):
        metadata, stripped = _strip(context.metadata, erased, identifiers)
        if stripped:
            changed += update_context(context.pk, metadata, using)
    return changed


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _role(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT current_user")
        return str(cursor.fetchone()[0])
