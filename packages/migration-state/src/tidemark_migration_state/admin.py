"""Read-only admin pages: saved releases, rollbacks and migration runs, linked to each other.

Nothing can be added, changed or deleted here: the records are the deploy history, and the
commands keep them. A user needs the ``view`` permission of each model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import BooleanField, Model, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from tidemark_core import RunRecord
from tidemark_core.journal import alive_sql

from .models import LineageEntry, MigrationRun, MigrationState, Rollback
from .states import problems

BREAK = mark_safe("<br>")


def _url(obj: Model, view: str = "change") -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def link(obj: Model | None, label: str | None = None) -> SafeString | str:
    """A link to the admin page of `obj` (``-`` without one)."""
    if obj is None:
        return "-"
    return format_html('<a href="{}">{}</a>', _url(obj), label or str(obj))


def links(objects: Iterable[Model], label: Any = str) -> SafeString | str:
    """Links to `objects`, one per line."""
    rows = [(_url(obj), label(obj)) for obj in objects]
    if not rows:
        return "-"
    return format_html_join(BREAK, '<a href="{}">{}</a>', rows)


def lines(values: Any) -> SafeString | str:
    """A stored list (of strings or of ``[app, name]`` pairs), one item per line."""
    if not isinstance(values, list):
        return format_html("<em>{}</em>", f"not a list: {values!r}")
    shown = [
        ".".join(map(str, value)) if isinstance(value, list) else str(value) for value in values
    ]
    return format_html_join(BREAK, "{}", ((item,) for item in shown)) or "-"


def release(state: MigrationState | None) -> SafeString | str:
    """A link to a saved release, labelled with its tags and short commit."""
    if state is None:
        return "-"
    tags = state.tags if isinstance(state.tags, list) else []
    label = f"{', '.join(map(str, tags))} ({state.commit[:12]})" if tags else state.commit[:12]
    return link(state, label)


def _several_databases(model: type[Model]) -> bool:
    """Whether the rows of `model` here belong to more than one database alias."""
    aliases = model._default_manager.order_by().values("database").distinct()
    return aliases[:2].count() > 1


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Nothing to add, change or delete; no bulk actions."""

    actions = None

    def get_list_filter(self, request: HttpRequest) -> Any:
        """The filters, without the database one while every row is of one database."""
        if _several_databases(self.model):
            return self.list_filter
        return tuple(name for name in self.list_filter if name != "database")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _release(run: MigrationRun) -> MigrationState | None:
    if not run.release:
        return None
    return MigrationState.objects.filter(database=run.database, commit=run.release).first()


@admin.register(MigrationState)
class SavedReleaseAdmin(ReadOnlyAdmin):
    """The saved releases: applied set, tags, when, by which run, lineage and rollbacks."""

    list_display = ("short_commit", "tag_list", "created_at", "size", "health")
    list_filter = ("database",)
    search_fields = ("commit",)
    fields = (
        "database",
        "commit",
        "tag_list",
        "created_at",
        "saved_at",
        "django_version",
        "health",
        "previous_release",
        "recorded_by",
        "rollbacks_to_it",
        "rollbacks_from_it",
        "applied_list",
        "leaves_list",
    )
    readonly_fields = fields

    def get_list_display(self, request: HttpRequest) -> Any:
        """The database column only when releases of several databases are saved here."""
        columns = self.list_display
        several = _several_databases(MigrationState)
        return (columns[0], "database", *columns[1:]) if several else columns

    @admin.display(description="commit", ordering="commit")
    def short_commit(self, obj: MigrationState) -> str:
        return obj.commit[:12]

    @admin.display(description="tags")
    def tag_list(self, obj: MigrationState) -> str:
        tags = obj.tags
        return (
            ", ".join(tags)
            if isinstance(tags, list) and all(isinstance(t, str) for t in tags)
            else "?"
        )

    @admin.display(description="migrations")
    def size(self, obj: MigrationState) -> Any:
        return len(obj.applied) if isinstance(obj.applied, list) else "?"

    @admin.display(description="record")
    def health(self, obj: MigrationState) -> str:
        found = problems(obj)
        return "damaged: " + "; ".join(found) if found else "ok"

    @admin.display(description="previous release (lineage)")
    def previous_release(self, obj: MigrationState) -> SafeString | str:
        entry = LineageEntry.objects.filter(state=obj).select_related("previous__state").last()
        previous = entry.previous.state if entry is not None and entry.previous else None
        return release(previous)

    @admin.display(description="recorded by runs")
    def recorded_by(self, obj: MigrationState) -> SafeString | str:
        runs = MigrationRun.objects.filter(database=obj.database, release=obj.commit)
        return links(runs.exclude(command="rollback_migrations").order_by("id"))

    @admin.display(description="rollbacks to it")
    def rollbacks_to_it(self, obj: MigrationState) -> SafeString | str:
        return links(Rollback.objects.filter(to_state=obj).order_by("id"))

    @admin.display(description="rollbacks from it")
    def rollbacks_from_it(self, obj: MigrationState) -> SafeString | str:
        return links(Rollback.objects.filter(from_state=obj).order_by("id"))

    @admin.display(description="applied")
    def applied_list(self, obj: MigrationState) -> SafeString | str:
        return lines(obj.applied)

    @admin.display(description="leaf migrations of its code")
    def leaves_list(self, obj: MigrationState) -> SafeString | str:
        return lines(obj.leaves)


def _alive() -> RawSQL:
    """Whether a run is open and its session runs it now (else it was interrupted)."""
    return RawSQL(*alive_sql(), output_field=BooleanField())


@admin.register(Rollback)
class RollbackAdmin(ReadOnlyAdmin):
    """The rollbacks: from which release, to which, by whom, and how they ended."""

    list_display = ("__str__", "from_release", "to_release", "outcome", "started_at")
    list_filter = ("database", "result")
    fields = (
        "database",
        "from_release",
        "to_release",
        "outcome",
        "journal_run",
        "performed_by",
        "started_at",
        "finished_at",
        "step_list",
        "error",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> Any:
        alive = MigrationRun.objects.filter(pk=OuterRef("run_id")).annotate(alive=_alive())
        return (
            super()
            .get_queryset(request)
            .select_related("from_state", "to_state", "run")
            .annotate(run_alive=Subquery(alive.values("alive")[:1]))
        )

    @admin.display(description="from")
    def from_release(self, obj: Rollback) -> SafeString | str:
        return release(obj.from_state)

    @admin.display(description="to")
    def to_release(self, obj: Rollback) -> SafeString | str:
        return release(obj.to_state)

    @admin.display(description="result")
    def outcome(self, obj: Rollback) -> str:
        run = obj.run
        if obj.result != Rollback.Result.RUNNING or run is None:
            return obj.result
        if run.status in ("running", "rolling_back"):
            return "running" if getattr(obj, "run_alive", False) else "interrupted"
        return f"interrupted, {run.status}"

    @admin.display(description="run")
    def journal_run(self, obj: Rollback) -> SafeString | str:
        return link(obj.run)

    @admin.display(description="steps")
    def step_list(self, obj: Rollback) -> SafeString | str:
        return lines(obj.steps)


@admin.register(MigrationRun)
class MigrationRunAdmin(ReadOnlyAdmin):
    """Every run of the run journal: deploys, rollbacks, recoveries; interrupted ones too."""

    list_display = ("__str__", "state", "started_at", "saved_release")
    list_filter = ("database", "command", "status")
    fields = (
        "command",
        "database",
        "state",
        "progress",
        "atomic",
        "performed_by",
        "pid",
        "backend_pid",
        "started_at",
        "finished_at",
        "saved_release",
        "rollback",
        "resolved_by_run",
        "resolved_runs",
        "error",
        "step_list",
        "done_list",
        "start_list",
        "target_list",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(alive=_alive())

    @staticmethod
    def record(obj: MigrationRun) -> RunRecord:
        alive = frozenset({obj.backend_pid}) if getattr(obj, "alive", False) else frozenset()
        return RunRecord.from_row(obj, alive)

    @admin.display(description="status")
    def state(self, obj: MigrationRun) -> str:
        record = self.record(obj)
        return "INTERRUPTED" if record.interrupted else record.state.replace("_", " ")

    @admin.display(description="progress")
    def progress(self, obj: MigrationRun) -> str:
        return self.record(obj).progress()

    @admin.display(description="release")
    def saved_release(self, obj: MigrationRun) -> SafeString | str:
        state = _release(obj)
        return release(state) if state is not None else obj.release or "-"

    @admin.display(description="rollback")
    def rollback(self, obj: MigrationRun) -> SafeString | str:
        return links(Rollback.objects.filter(run=obj).order_by("id"))

    @admin.display(description="resolved by")
    def resolved_by_run(self, obj: MigrationRun) -> SafeString | str:
        return link(obj.resolved_by)

    @admin.display(description="resolved")
    def resolved_runs(self, obj: MigrationRun) -> SafeString | str:
        return links(MigrationRun.objects.filter(resolved_by=obj).order_by("id"))

    @admin.display(description="steps planned")
    def step_list(self, obj: MigrationRun) -> SafeString | str:
        return lines(obj.steps)

    @admin.display(description="steps done")
    def done_list(self, obj: MigrationRun) -> SafeString | str:
        return lines(obj.done)

    @admin.display(description="applied before")
    def start_list(self, obj: MigrationRun) -> SafeString | str:
        return lines(obj.start)

    @admin.display(description="target")
    def target_list(self, obj: MigrationRun) -> SafeString | str:
        return lines(obj.target)
