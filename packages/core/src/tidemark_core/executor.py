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

from .exceptions import IrreversibleStepsError, PlanError
from .locks import advisory_lock
from .plan import Key, Plan, applied_migrations

MIGRATION_LOCK = "tidemark.migrations"
"""The advisory lock held while migrations run, shared by every Tidemark command."""

ProgressCallback = Callable[..., Any]
"""Django's executor callback: ``callback(action, migration=None, fake=False)``."""


def execute(
    plan: Plan,
    *,
    progress_callback: ProgressCallback | None = None,
    lock_timeout: float = 60.0,
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
        lock_timeout: Seconds to wait for another process's migration lock.

    Returns:
        The applied set afterwards (equal to ``plan.target``).

    Raises:
        IrreversibleStepsError: A backwards step cannot run; nothing was changed.
        PlanError: The database changed since the plan was built; nothing was changed.
        LockNotAcquired: Another process holds the migration lock.
        Exception: Whatever a migration raised; the steps before it stay applied (each
            atomic migration is all-or-nothing on its own).
    """
    blocked = tuple(step for step in plan.backwards if step.irreversible)
    if blocked:
        raise IrreversibleStepsError(
            "These migrations cannot be unapplied, so nothing was changed:\n- "
            + "\n- ".join(step.describe() for step in blocked)
            + "\nGive their RunPython a reverse_code (RunPython.noop when there is nothing "
            "to undo) or their RunSQL a reverse_sql, then try again.",
            blocked,
        )
    using = plan.using
    with advisory_lock(MIGRATION_LOCK, using=using, timeout=lock_timeout):
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
        _unrecord_broken_replacements(plan)
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


def _unrecord_broken_replacements(plan: Plan) -> None:
    """Forget squashed migrations of which only part stays applied.

    Django records a squashed migration once all it replaces is applied, but does not
    forget it when one of the replaced migrations is unapplied on its own.
    """
    recorder = MigrationRecorder(connections[plan.using])
    applied = recorder.applied_migrations()
    for key, migration in plan.loader.replacements.items():
        if key in applied and not all(name in applied for name in migration.replaces):
            recorder.record_unapplied(*key)
