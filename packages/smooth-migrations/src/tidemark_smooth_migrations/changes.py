"""What the expand/contract wrappers leave to do, and since which saved release each exists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.apps import apps
from django.db import models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import SeparateDatabaseAndState
from django.db.migrations.operations.base import Operation
from django.db.migrations.operations.fields import FieldOperation
from django.db.migrations.operations.models import CreateModel, ModelOperation

from tidemark_core import Key, integrations

from .decorators import is_backward_compatible, is_deprecated_model, new_fields
from .fields import is_deprecated_field, is_new_field

KINDS = ("new_field", "backward_compatible_model", "deprecated_field", "deprecated_model")
"""The kinds of change, in the order they are reported."""

HEADINGS = {
    "new_field": "New fields (make them NOT NULL in the next release: remove new_field())",
    "backward_compatible_model": (
        "Backward-compatible models (remove @backward_compatible_model with their last new_field)"
    ),
    "deprecated_field": "Deprecated fields (drop the columns in the next release)",
    "deprecated_model": "Deprecated models (drop the tables in the next release)",
}


@dataclass(frozen=True)
class Change:
    """One unfinished expand/contract change.

    Attributes:
        kind: One of `KINDS`.
        app_label: The model's app.
        model: The model's name, e.g. ``Product``.
        field: The field's name, or None for a model.
        migration: The migration that brought the database to the change's shape (see
            `introduced_by`), or None when no migration of the app touches it.
        since: The oldest saved release whose applied migrations hold `migration`, as its
            first tag or else its short commit; None without saved releases.
        releases: How many saved releases, from `since` on, have it.
    """

    kind: str
    app_label: str
    model: str
    field: str | None
    migration: Key | None
    since: str | None = None
    releases: int = 0

    @property
    def label(self) -> str:
        """``app_label.Model.field`` or ``app_label.Model``."""
        parts = [self.app_label, self.model] + ([self.field] if self.field else [])
        return ".".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The change as JSON-ready data."""
        return {
            "kind": self.kind,
            "label": self.label,
            "migration": ".".join(self.migration) if self.migration else None,
            "since": self.since,
            "releases": self.releases,
        }


def pending_changes() -> list[Change]:
    """Every new field, backward-compatible model, deprecated field and deprecated model."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    changes = []
    for model in apps.get_models():
        app_label, name = model._meta.app_label, model._meta.object_name
        assert name is not None
        for field in model._meta.local_fields:
            kind = (
                "new_field"
                if is_new_field(field)
                else "deprecated_field"
                if is_deprecated_field(field)
                else None
            )
            if kind:
                migration = introduced_by(loader, model, [field.name])
                changes.append(Change(kind, app_label, name, field.name, migration))
        if is_backward_compatible(model):
            fields = [field.name for field in new_fields(model)]
            changes.append(
                Change(
                    "backward_compatible_model",
                    app_label,
                    name,
                    None,
                    introduced_by(loader, model, fields, oldest=True),
                )
            )
        if is_deprecated_model(model):
            changes.append(
                Change("deprecated_model", app_label, name, None, introduced_by(loader, model))
            )
    return sorted(changes, key=lambda change: (KINDS.index(change.kind), change.label))


def introduced_by(
    loader: MigrationLoader,
    model: type[models.Model],
    fields: Sequence[str] = (),
    *,
    oldest: bool = False,
) -> Key | None:
    """The migration that gave the database the shape a change relies on.

    For a field: the last migration of the model's app that adds or alters it (for
    `new_field` the ``AddField`` of the nullable column, for `deprecated_field` the
    ``AlterField`` that made it nullable). For several fields: the last such migration of
    each, and of those the oldest when `oldest` is set. Without fields (a deprecated model,
    which needs no migration): the last migration that changed the model at all, so its
    age is counted conservatively from then.
    """
    app_label = model._meta.app_label
    model_name = model._meta.model_name
    order = _app_order(loader, app_label)
    if not fields:
        touching = [key for key in order if _touches(loader.graph.nodes[key], model_name, None)]
        return touching[-1] if touching else None
    found = []
    for field in fields:
        touching = [key for key in order if _touches(loader.graph.nodes[key], model_name, field)]
        if touching:
            found.append(touching[-1])
    if not found:
        return None
    found.sort(key=order.index)
    return found[0] if oldest else found[-1]


def _app_order(loader: MigrationLoader, app_label: str) -> list[Key]:
    order: list[Key] = []
    for leaf in sorted(loader.graph.leaf_nodes(app_label)):
        for key in loader.graph.forwards_plan(leaf):
            if key[0] == app_label and key not in order:
                order.append(key)
    return order


def _operations(operations: Iterable[Operation]) -> Iterable[Operation]:
    for operation in operations:
        if isinstance(operation, SeparateDatabaseAndState):
            yield from _operations(operation.state_operations)
        else:
            yield operation


def _touches(migration: Any, model_name: str | None, field: str | None) -> bool:
    for operation in _operations(migration.operations):
        if isinstance(operation, FieldOperation) and operation.model_name_lower == model_name:
            names = {operation.name_lower, getattr(operation, "new_name_lower", None)}
            if field is None or field.lower() in names:
                return True
        elif isinstance(operation, ModelOperation) and model_name in {
            operation.name_lower,
            getattr(operation, "new_name_lower", None),
        }:
            if field is None:
                return True
            if isinstance(operation, CreateModel) and field in dict(operation.fields):
                return True
    return False


def release_label(state: Any) -> str:
    """A saved release's name: its first tag, else its commit shortened to 12 characters."""
    tags = list(state.tags or ())
    return str(tags[0]) if tags else str(state.commit)[:12]


def with_releases(changes: Iterable[Change], states: Sequence[Any]) -> list[Change]:
    """Date each change by the saved releases of tidemark_migration_state.

    A change exists since the oldest saved release (`states` are oldest first) whose
    applied set holds the migration that introduced it; it has lived through every saved
    release from that one on (counted by distinct commit). A change whose migration is in
    no saved release (not deployed yet), or that has no migration, gets ``since=None`` and
    ``releases=0``.

    Args:
        changes: From `pending_changes`.
        states: Objects with ``.commit``, ``.tags`` and ``.applied`` (a set of
            ``(app_label, name)``), oldest first, as ``tidemark_migration_state.saved_states()``
            returns them.
    """
    dated = []
    for change in changes:
        since, releases = None, 0
        if change.migration is not None:
            for index, state in enumerate(states):
                if change.migration in state.applied:
                    since = release_label(state)
                    releases = len({str(later.commit) for later in states[index:]})
                    break
        dated.append(replace(change, since=since, releases=releases))
    return dated


def overdue(changes: Iterable[Change], limit: int, *, dated: bool) -> list[Change]:
    """The changes that ``--check`` fails on.

    With saved releases (`dated`), those that lived through more than `limit` releases;
    without, every change, since nothing tells how old it is.
    """
    return [change for change in changes if not dated or change.releases > limit]


def report(using: str = "default") -> tuple[list[Change], bool]:
    """The pending changes, dated by saved releases when an app records them.

    Returns:
        The changes, and whether they are dated by saved releases.
    """
    changes = pending_changes()
    states = integrations.saved_releases(using)
    if states is None:
        return changes, False
    return with_releases(changes, states), True
