"""The applied set ``migrate [app_label [migration_name]]`` would leave behind."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.exceptions import AmbiguityError
from django.db.migrations.executor import MigrationExecutor

from tidemark_core import Key, PlanError, applied_migrations


def target_applied_set(
    app_label: str | None = None,
    migration_name: str | None = None,
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> frozenset[Key]:
    """The applied set ``migrate [app_label] [migration_name]`` would leave behind.

    Raises:
        PlanError: The app is not installed or has no migrations, the name matches no
            migration or several, the graph has conflicts, or the recorded history is
            inconsistent.
    """
    connection = connections[using]
    executor = MigrationExecutor(connection)
    loader = executor.loader
    try:
        loader.check_consistent_history(connection)
    except Exception as error:  # InconsistentMigrationHistory
        raise PlanError(str(error)) from error
    conflicts = loader.detect_conflicts()
    if conflicts:
        names = "; ".join(f"{', '.join(found)} in {app}" for app, found in conflicts.items())
        raise PlanError(
            f"Conflicting migrations detected ({names}). "
            "Run 'python manage.py makemigrations --merge' first."
        )
    if app_label is not None and app_label not in loader.migrated_apps:
        raise PlanError(f"App {app_label!r} is not installed or has no migrations.")
    if app_label is not None and migration_name is not None:
        if migration_name == "zero":
            targets: list[tuple[str, str | None]] = [(app_label, None)]
        else:
            try:
                migration = loader.get_migration_by_prefix(app_label, migration_name)
            except AmbiguityError as error:
                raise PlanError(
                    f"More than one migration matches {migration_name!r} in app "
                    f"{app_label!r}; give more of its name."
                ) from error
            except KeyError as error:
                raise PlanError(
                    f"No migration of app {app_label!r} matches {migration_name!r}."
                ) from error
            target: Key = (app_label, migration.name)
            if target not in loader.graph.nodes and target in loader.replacements:
                target = loader.replacements[target].replaces[-1]
            targets = [target]
    elif app_label is not None:
        targets = [key for key in loader.graph.leaf_nodes() if key[0] == app_label]
    else:
        targets = list(loader.graph.leaf_nodes())
    result = set(applied_migrations(using))
    for migration, backwards in executor.migration_plan(targets):
        keys = {(migration.app_label, migration.name), *migration.replaces}
        if backwards:
            result -= keys
        else:
            result |= keys
    return frozenset(result)
