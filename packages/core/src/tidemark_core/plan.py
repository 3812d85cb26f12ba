"""Exact migration plans: turn the applied migration set of a database into a target set.

Django's ``migrate`` moves along one graph to one target per app. Restoring a recorded
release needs more: parallel branches applied now but absent from the target must be
unapplied, squashed migrations may be applied only in part, and whole apps may come or go.
`Plan.build` works this out from two applied sets, and `execute` runs the result with
Django's own migration executor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import SeparateDatabaseAndState
from django.db.migrations.operations.base import Operation
from django.db.migrations.recorder import MigrationRecorder

from .exceptions import IrreversibleStepsError, PlanError

Key = tuple[str, str]
"""A migration as ``(app_label, migration_name)``."""


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> frozenset[Key]:
    """The migrations recorded as applied on the database `using`.

    Returns:
        The rows of ``django_migrations`` as ``(app_label, name)`` pairs; empty when the
        table does not exist yet.
    """
    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return frozenset()
    return frozenset(recorder.applied_migrations())


def normalize(applied: Iterable[Key], replacements: Mapping[Key, Migration]) -> frozenset[Key]:
    """An applied set as Django records it: a squashed migration is applied with all it replaces."""
    result = set(applied)
    for key, migration in replacements.items():
        if all(replaced in result for replaced in migration.replaces):
            result.add(key)
        else:
            result.discard(key)
    return frozenset(result)


def irreversible_operations(migration: Migration) -> list[Operation]:
    """The operations of `migration` that cannot be run backwards.

    These are ``RunPython`` without ``reverse_code``, ``RunSQL`` without ``reverse_sql``,
    any operation declaring ``reversible = False``, and such operations nested in
    ``SeparateDatabaseAndState``.
    """
    found: list[Operation] = []
    pending = list(migration.operations)
    while pending:
        operation = pending.pop(0)
        if not operation.reversible:
            found.append(operation)
        elif isinstance(operation, SeparateDatabaseAndState):
            pending.extend(operation.database_operations)
    return found


def _irreversible_on_disk(keys: Iterable[Key], disk: MigrationLoader) -> list[str]:
    """Of `keys`, the migrations of the code whose operations cannot run backwards."""
    found = []
    for key in sorted(keys):
        migration = disk.disk_migrations.get(key)
        operations = irreversible_operations(migration) if migration is not None else []
        if operations:
            described = "; ".join(operation.describe() for operation in operations)
            found.append(f"{key[0]}.{key[1]} (irreversible: {described})")
    return found


class _ShapedLoader(MigrationLoader):
    """Django's loader, with squashed migrations resolved as if `shape` were applied.

    Django keeps a squashed migration in the graph when all or none of the migrations it
    replaces are applied, and the replaced ones when only some are. A plan between two
    applied sets needs the replaced migrations whenever either set holds only part of
    them, so the graph is built from `shape`; the real applied set is put back after.
    """

    def __init__(self, connection: BaseDatabaseWrapper, shape: frozenset[Key]) -> None:
        self._shape: frozenset[Key] | None = shape
        super().__init__(connection)
        self._shape = None
        self.refresh_applied()

    def __setattr__(self, name: str, value: Any) -> None:
        # build_graph() assigns the recorded rows here before resolving squashed migrations.
        shape = getattr(self, "_shape", None)
        if name == "applied_migrations" and shape is not None:
            value = dict.fromkeys(shape)
        super().__setattr__(name, value)

    def refresh_applied(self) -> None:
        """Read the applied set again, as the executor expects it for this graph."""
        assert self.connection is not None
        recorded = MigrationRecorder(self.connection).applied_migrations()
        # The executor reads only the keys.
        applied: dict[Key, Any] = dict.fromkeys(normalize(recorded, self.replacements))
        self.applied_migrations = applied


@dataclass(frozen=True)
class Step:
    """One migration to apply or unapply.

    Attributes:
        migration: Django's migration object.
        backwards: True to unapply it.
        irreversible: Its operations that cannot run backwards: for a backwards step they
            make the step impossible, for a forwards step they mean it could not be
            undone later.
    """

    migration: Migration
    backwards: bool
    irreversible: tuple[Operation, ...] = field(default=())

    @property
    def key(self) -> Key:
        """The migration as ``(app_label, name)``."""
        return (self.migration.app_label, self.migration.name)

    @property
    def label(self) -> str:
        """``app_label.name``, as Django prints it."""
        return f"{self.migration.app_label}.{self.migration.name}"

    def describe(self) -> str:
        """One line, e.g. ``Unapply shop.0003_price (irreversible: Raw Python operation)``."""
        text = f"{'Unapply' if self.backwards else 'Apply'} {self.label}"
        if self.migration.replaces:
            text += f" (squashes {len(self.migration.replaces)} migrations)"
        if self.irreversible:
            text += " (irreversible: " + "; ".join(op.describe() for op in self.irreversible) + ")"
        return text


class Plan:
    """The ordered steps that turn a database's applied migrations into a target set.

    Build one with `Plan.build`; preview it with `describe` and `sql`; run it with
    `tidemark_core.execute`.

    Attributes:
        using: The database alias.
        current: The applied set when the plan was built, as recorded.
        target: The applied set the plan produces, as Django will record it.
        backwards: The steps that unapply migrations, in order; they run first.
        forwards: The steps that apply migrations, in order; they run second.
        requested: The applied set the plan was asked for, as given to `build`.
    """

    def __init__(
        self,
        using: str,
        loader: _ShapedLoader,
        current: frozenset[Key],
        target: frozenset[Key],
        backwards: tuple[Step, ...],
        forwards: tuple[Step, ...],
        requested: frozenset[Key] | None = None,
    ) -> None:
        self.using = using
        self.loader = loader
        self.current = current
        self.target = target
        self.backwards = backwards
        self.forwards = forwards
        self.requested = target if requested is None else requested

    @classmethod
    def build(cls, target: Iterable[Key], *, using: str = DEFAULT_DB_ALIAS) -> Plan:
        """Plan the steps that make `target` the exact applied set of the database `using`.

        Args:
            target: The wanted applied set, as ``(app_label, name)`` pairs (for example a
                saved copy of ``applied_migrations()``). Rows of squashed migrations are
                optional: a squashed migration counts as applied when all it replaces are.
            using: The database alias.

        Raises:
            PlanError: The target cannot be reached with the code on disk: it names
                migrations or apps the code does not have, it needs part of a squashed
                migration whose replaced files are deleted, or it is not a consistent
                applied set. Nothing is changed. The message also lists the migrations to
                unapply that are irreversible, so it says all that stands in the way.
        """
        current = applied_migrations(using)
        wanted = frozenset((str(app), str(name)) for app, name in target)
        disk = MigrationLoader(None, ignore_no_migrations=True)
        try:
            loader = _ShapedLoader(connections[using], _graph_shape(current, wanted, disk))
            nodes_now = _nodes_applied(current, loader)
            nodes_wanted = _nodes_applied(wanted, loader)
            _check_consistent(nodes_wanted, loader)
        except PlanError as error:
            blocked = _irreversible_on_disk(current - wanted, disk)
            if not blocked:
                raise
            raise PlanError(
                f"{error}\nThese migrations to unapply are also irreversible:\n- "
                + "\n- ".join(blocked)
            ) from error
        graph = loader.graph
        order = full_order(loader)
        backwards = tuple(
            Step(graph.nodes[key], True, tuple(irreversible_operations(graph.nodes[key])))
            for key in reversed(order)
            if key in nodes_now and key not in nodes_wanted
        )
        forwards = tuple(
            Step(graph.nodes[key], False, tuple(irreversible_operations(graph.nodes[key])))
            for key in order
            if key in nodes_wanted and key not in nodes_now
        )
        recorded = set(nodes_wanted)
        for key in nodes_wanted:
            recorded.update(graph.nodes[key].replaces or ())
        # Rows the code does not know, applied now and in the target, stay as they are.
        recorded |= (current & wanted) - set(disk.disk_migrations) - _replaced_names(disk)
        target_set = normalize(recorded, loader.replacements)
        return cls(using, loader, current, target_set, backwards, forwards, wanted)

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step in the order it runs: unapplying first, then applying."""
        return self.backwards + self.forwards

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __bool__(self) -> bool:
        return bool(self.steps)

    def irreversible_steps(self) -> tuple[Step, ...]:
        """The steps holding operations that cannot run backwards.

        A backwards step among them cannot run at all, so `execute` refuses the plan. A
        forwards step among them would run, but could not be undone afterwards.
        """
        return tuple(step for step in self.steps if step.irreversible)

    def describe(self) -> list[str]:
        """One line per step, in order (empty when the database is already at the target)."""
        return [step.describe() for step in self.steps]

    def sql(self) -> list[tuple[Step, list[str]]]:
        """The SQL each step would run, as ``sqlmigrate`` shows it, for previews.

        A step whose SQL cannot be produced before the earlier steps have run (for
        example because it inspects a table that an earlier step creates) gets a comment
        saying so instead of statements.
        """
        connection = connections[self.using]
        previews = []
        for step in self.steps:
            state = self.loader.project_state(step.key, at_end=False)
            try:
                with connection.schema_editor(collect_sql=True, atomic=False) as editor:
                    if step.backwards:
                        step.migration.unapply(state, editor, collect_sql=True)
                    else:
                        step.migration.apply(state, editor, collect_sql=True)
                statements = list(editor.collected_sql)
            except Exception as error:  # noqa: BLE001 - a preview reports, it never fails
                statements = [f"-- The SQL of this step cannot be shown in advance: {error}"]
            previews.append((step, statements))
        return previews


def _replaced_names(disk: MigrationLoader) -> set[Key]:
    return {name for migration in disk.replacements.values() for name in migration.replaces}


def _graph_shape(
    current: frozenset[Key], wanted: frozenset[Key], disk: MigrationLoader
) -> frozenset[Key]:
    """Check both sets against the code, and choose how to resolve squashed migrations."""
    known = set(disk.disk_migrations) | _replaced_names(disk)
    problems = []
    for key in sorted((current ^ wanted) - known):
        app_label, name = key
        where = "applied now" if key in current else "in the target"
        if app_label not in {config.label for config in apps.get_app_configs()}:
            problems.append(f"{app_label}.{name} ({where}): the app {app_label!r} is not installed")
        else:
            problems.append(f"{app_label}.{name} ({where}): the code has no such migration")
    shape = set(current)
    for key, migration in disk.replacements.items():
        replaced = set(migration.replaces)
        now, then = replaced & current, replaced & wanted
        partial_now = bool(now) and now != replaced
        partial_then = bool(then) and then != replaced
        if not (partial_now or partial_then):
            continue
        missing = sorted(replaced - set(disk.disk_migrations))
        if missing:
            names = ", ".join(f"{app}.{name}" for app, name in missing)
            problems.append(
                f"{key[0]}.{key[1]}: only part of this squashed migration is applied "
                f"{'now' if partial_now else 'in the target'}, which needs the migrations it "
                f"replaces, but the code no longer has {names}"
            )
        elif not partial_now:
            # Make the graph hold the replaced migrations one by one.
            if now:
                shape.discard(sorted(replaced - then)[0])
            else:
                shape.add(sorted(then)[0])
    if problems:
        raise PlanError(
            "The target migration state cannot be reached with this code:\n- "
            + "\n- ".join(problems)
        )
    return frozenset(shape)


def _nodes_applied(applied: frozenset[Key], loader: MigrationLoader) -> frozenset[Key]:
    """The graph nodes an applied set covers (a squashed node when all it replaces is)."""
    nodes = set()
    for key, migration in loader.graph.nodes.items():
        if key in applied or (migration.replaces and all(r in applied for r in migration.replaces)):
            nodes.add(key)
    return frozenset(nodes)


def _check_consistent(nodes: frozenset[Key], loader: MigrationLoader) -> None:
    gaps = sorted(
        (parent.key, key)
        for key in nodes
        for parent in loader.graph.node_map[key].parents
        if parent.key not in nodes
    )
    if gaps:
        raise PlanError(
            "The target migration state is inconsistent; these migrations are in it without "
            "their dependencies:\n- "
            + "\n- ".join(f"{a}.{b} needs {pa}.{pb}" for (pa, pb), (a, b) in gaps)
        )


def full_order(loader: MigrationLoader) -> list[Key]:
    """Every migration of `loader`'s graph in an order Django could apply them from scratch:
    the order of a full ``migrate`` on an empty database."""
    order: list[Key] = []
    seen: set[Key] = set()
    for leaf in sorted(loader.graph.leaf_nodes()):
        for key in loader.graph.forwards_plan(leaf):
            if key not in seen:
                seen.add(key)
                order.append(key)
    return order


REVERSE_ADVICE = (
    "Give their RunPython a reverse_code (RunPython.noop when there is nothing to undo) or "
    "their RunSQL a reverse_sql"
)
"""How to make a migration reversible; completes the messages of `refuse_irreversible`."""


def refuse_irreversible(
    steps: Iterable[Step], *, reason: str, advice: str = REVERSE_ADVICE + ", then try again."
) -> None:
    """Refuse to go on when any of `steps` holds an operation that cannot run backwards.

    Every command that runs a plan asks this one question before its first statement:
    a backwards step that is irreversible cannot run at all, and a forwards one could not
    be undone if a later step failed.

    Args:
        steps: The steps to check.
        reason: Why they are a problem, e.g. ``"These migrations cannot be unapplied, so
            nothing was changed"``; a list of the steps follows it.
        advice: What to do, the last line of the message.

    Raises:
        IrreversibleStepsError: Lists every such step.
    """
    blocked = tuple(step for step in steps if step.irreversible)
    if blocked:
        raise IrreversibleStepsError(
            f"{reason}:\n- " + "\n- ".join(step.describe() for step in blocked) + f"\n{advice}",
            blocked,
        )
