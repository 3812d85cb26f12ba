"""Run a migration `Plan` with Django's executor, under the migration advisory lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps as global_apps
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ModelState, ProjectState, StateApps

from .conf import migration_lock_timeout
from .exceptions import PlanError
from .locks import advisory_lock
from .plan import Key, Plan, applied_migrations, refuse_irreversible

MIGRATION_LOCK = "tidemark.migrations"
"""The advisory lock held while migrations run, shared by every Tidemark command."""

ProgressCallback = Callable[..., Any]
"""Django's executor callback: ``callback(action, migration=None, fake=False)``."""


def execute(
    plan: Plan,
    *,
    progress_callback: ProgressCallback | None = None,
    lock_timeout: float | None = None,
    exact_replacements: bool = False,
) -> frozenset[Key]:
    """Run `plan`: unapply its backwards steps, then apply its forwards steps.

    Everything is checked before the first statement: the database must still be in the
    state the plan was built from, and no backwards step may be irreversible. The
    migration advisory lock is held throughout, so two deploys cannot interleave. The
    ``pre_migrate`` and ``post_migrate`` signals are sent as ``migrate`` sends them.

    Args:
        plan: The plan from `Plan.build`.
        progress_callback: Receives Django's executor progress events
            (``"apply_start"``, ``"apply_success"``, ``"unapply_start"``, ...).
        lock_timeout: Seconds to wait for another process's migration lock (default: the
            setting ``TIDEMARK_MIGRATION_LOCK_TIMEOUT``).
        exact_replacements: Also forget the rows of squashed migrations that are applied
            in full but absent from the requested target, so the applied set is exactly
            the one asked for (a release saved before the squash existed has no such row;
            Django records it again at the next ``migrate``). By default such rows stay.

    Returns:
        The applied set afterwards (equal to ``plan.target``).

    Raises:
        IrreversibleStepsError: A backwards step cannot run; nothing was changed.
        PlanError: The database changed since the plan was built; nothing was changed.
        LockNotAcquired: Another process holds the migration lock.
        Exception: Whatever a migration raised; the steps before it stay applied (each
            atomic migration is all-or-nothing on its own).
    """
    refuse_irreversible(
        plan.backwards, reason="These migrations cannot be unapplied, so nothing was changed"
    )
    using = plan.using
    timeout = migration_lock_timeout() if lock_timeout is None else lock_timeout
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=timeout):
        if applied_migrations(using) != plan.current:
            raise PlanError(
                f"The migrations applied on {using!r} changed since the plan was made "
                "(another deploy ran?). Build the plan again."
            )
        django_plan = [(step.migration, step.backwards) for step in plan.steps]
        emit_pre_migrate_signal(0, False, using, plan=django_plan)
        executor = MigrationExecutor(connections[using], progress_callback)
        executor.loader = plan.loader
        state = None
        for phase in (plan.backwards, plan.forwards):
            if phase:
                plan.loader.refresh_applied()
                state = executor.migrate(
                    [], plan=[(step.migration, step.backwards) for step in phase]
                )
        if state is None:
            plan.loader.refresh_applied()
            graph = plan.loader.graph
            state = plan.loader.project_state(
                [key for key in plan.loader.applied_migrations if key in graph.nodes]
            )
        _record_replacements(plan, exact=exact_replacements)
        emit_post_migrate_signal(0, False, using, plan=django_plan, apps=_final_apps(state))
    return applied_migrations(using)


def _final_apps(state: ProjectState) -> StateApps:
    """The models as the migrations leave them, for ``post_migrate`` receivers, as ``migrate``.

    Receivers such as contenttypes' then see that a model whose migrations were unapplied is
    gone, instead of querying its dropped table.
    """
    state.clear_delayed_apps_cache()
    final = state.apps
    # Re-render the models of apps without migrations, with their relations, as migrate does.
    with final.bulk_update():
        keys = []
        for model_state in final.real_models:
            key = (model_state.app_label, model_state.name_lower)
            keys.append(key)
            final.unregister_model(*key)
    final.render_multiple([ModelState.from_model(global_apps.get_model(*key)) for key in keys])
    return final


def _record_replacements(plan: Plan, *, exact: bool) -> None:
    """Make the rows of squashed migrations agree with what stays applied.

    Django records a squashed migration once all it replaces is applied, but does not
    forget it when one of the replaced migrations is unapplied on its own: such rows are
    always forgotten. With `exact`, so are rows absent from the requested target.
    """
    recorder = MigrationRecorder(connections[plan.using])
    applied = recorder.applied_migrations()
    for key, migration in plan.loader.replacements.items():
        if key not in applied:
            continue
        partial = not all(name in applied for name in migration.replaces)
        if partial or (exact and key not in plan.requested):
            recorder.record_unapplied(*key)
