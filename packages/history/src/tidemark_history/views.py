"""The admin views of the Context admin: the events timeline, one context's events, and
"Revert this context"."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from .display import EventRow, rows
from .exceptions import HistoryError
from .reading import all_specs
from .revert import RevertPlan, plan_revert_context, revert_context
from .timeline import Timeline, events

if TYPE_CHECKING:
    from .admin import ContextAdmin

PAGE_SIZE = 50


def _allowed(request: HttpRequest, model: type[models.Model], action: str) -> bool:
    codename = get_permission_codename(action, model._meta)
    return bool(request.user.has_perm(f"{model._meta.app_label}.{codename}"))  # type: ignore[union-attr]


def visible_models(request: HttpRequest) -> list[type[models.Model]]:
    """The tracked models whose events the user may see (view or change permission)."""
    seen: list[type[models.Model]] = []
    for spec in all_specs():
        if spec.tracked not in seen and (
            _allowed(request, spec.tracked, "view") or _allowed(request, spec.tracked, "change")
        ):
            seen.append(spec.tracked)
    return seen


def history_url(site: admin.AdminSite, model: type[models.Model], pk: Any) -> str | None:
    """The History page of a row, when its model is in the admin with `HistoryAdmin`."""
    from .admin import HistoryAdmin

    if not isinstance(site._registry.get(model), HistoryAdmin):
        return None
    try:
        return reverse(
            f"{site.name}:{model._meta.app_label}_{model._meta.model_name}_history",
            args=[admin.utils.quote(pk)],
        )
    except NoReverseMatch:  # pragma: no cover - a registered admin always has the URL
        return None


def _annotate(site: admin.AdminSite, event_rows: list[EventRow]) -> list[EventRow]:
    for row in event_rows:
        row.history_url = history_url(site, row.model, row.event.history_object_id)  # type: ignore[attr-defined]
    return event_rows


def _page(request: HttpRequest, timeline: Timeline) -> Any:
    from django.core.paginator import Paginator

    return Paginator(timeline, PAGE_SIZE).get_page(request.GET.get("p", 1))


def _date(value: str) -> datetime.datetime | None:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


def _filtered(
    request: HttpRequest, timeline: Timeline, models_: list[type[models.Model]]
) -> tuple[Timeline, dict[str, str]]:
    """Apply the GET filters the page offers; unknown values select nothing, never error."""
    params = {
        key: request.GET.get(key, "").strip()
        for key in ("model", "label", "user", "since", "until", "context")
    }
    chosen = (
        [m for m in models_ if m._meta.label_lower == params["model"]]
        if params["model"]
        else models_
    )
    if not chosen:
        return timeline.filter(label=[]), params
    timeline = timeline.filter(model=chosen)
    if params["label"]:
        timeline = timeline.filter(label=params["label"])
    if params["user"]:
        user: Any = int(params["user"]) if params["user"].isdigit() else params["user"]
        timeline = timeline.filter(user=user)
    since, until = _date(params["since"]), _date(params["until"])
    if since is not None:
        timeline = timeline.filter(since=since)
    if until is not None:
        timeline = timeline.filter(until=until + datetime.timedelta(days=1, microseconds=-1))
    if params["context"]:
        try:
            timeline = timeline.filter(context=uuid.UUID(params["context"]))
        except ValueError:
            timeline = timeline.filter(label=[])
    return timeline, params


def timeline(model_admin: ContextAdmin, request: HttpRequest) -> HttpResponse:
    """Every event the user may see, newest first, filtered by model, label, user, date
    and context, 50 a page, each linking to its row's history and its context."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    site = model_admin.admin_site
    models_ = visible_models(request)
    using = str(model_admin.get_queryset(request).db)
    filtered, params = _filtered(
        request,
        events(using=using).filter(model=models_)
        if models_
        else events(using=using).filter(label=[]),
        models_,
    )
    page = _page(request, filtered)
    labels = sorted(
        {label for spec in all_specs() if spec.tracked in models_ for label in spec.labels}
    )
    context = {
        **site.each_context(request),
        "title": "Events",
        "subtitle": None,
        "rows": _annotate(site, rows(page.object_list)),
        "page": page,
        "params": params,
        "model_choices": [(m._meta.label_lower, m._meta.verbose_name_plural) for m in models_],
        "label_choices": labels,
        "opts": model_admin.opts,
        "query": "&".join(f"{key}={value}" for key, value in params.items() if value),
    }
    request.current_app = site.name
    return TemplateResponse(request, "tidemark_history/admin/timeline.html", context)


def context_events(
    model_admin: ContextAdmin, request: HttpRequest, object_id: str
) -> dict[str, Any]:
    """The extra context of a Context's page: its events and whether it can be reverted."""
    try:
        context_id = uuid.UUID(object_id)
    except ValueError:
        return {}
    using = str(model_admin.get_queryset(request).db)
    models_ = visible_models(request)
    found = events(context=context_id, using=using).filter(model=models_) if models_ else None
    page = _page(request, found) if found is not None else None
    event_rows = _annotate(model_admin.admin_site, rows(page.object_list)) if page else []
    return {
        "rows": event_rows,
        "page": page,
        "can_revert_context": all(_allowed(request, row.model, "change") for row in event_rows),
        "revert_url": reverse(
            f"{model_admin.admin_site.name}:tidemark_history_context_revert", args=[object_id]
        ),
    }


def can_revert(request: HttpRequest, plan: RevertPlan) -> bool:
    """The permissions each step needs: change, plus add to re-create, delete to delete."""
    for step in plan.steps:
        needed = {"update": ["change"], "re-create": ["add", "change"], "delete": ["delete"]}
        if not all(_allowed(request, step.model, action) for action in needed[step.action]):
            return False
    return True


def revert_context_view(
    model_admin: ContextAdmin, request: HttpRequest, object_id: str
) -> HttpResponse:
    """Show what reverting the context does (steps, conflicts); do it on POST."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    site = model_admin.admin_site
    try:
        context_obj = model_admin.get_queryset(request).get(pk=uuid.UUID(object_id))
    except (ValueError, model_admin.model.DoesNotExist):
        raise Http404(f"No context {object_id}.") from None
    using = str(model_admin.get_queryset(request).db)
    plan = plan_revert_context(context_obj, using=using)
    change_url = reverse(f"{site.name}:tidemark_history_context_change", args=[object_id])
    if not can_revert(request, plan):
        raise PermissionDenied
    if not plan.steps and not plan.problems:
        model_admin.message_user(
            request,
            f"Context {object_id} changed no tracked row: nothing to revert.",
            messages.WARNING,
        )
        return HttpResponseRedirect(change_url)
    if request.method == "POST":
        try:
            done = revert_context(context_obj, force=bool(request.POST.get("force")), using=using)
        except HistoryError as error:
            model_admin.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.path)
        model_admin.message_user(
            request,
            f"Context {object_id} was reverted: {len(done.steps)} row(s) restored.",
            messages.SUCCESS,
        )
        target = reverse(
            f"{site.name}:tidemark_history_context_change", args=[str(done.context_id)]
        )
        return HttpResponseRedirect(target)
    conflict_rows = _annotate(site, rows(plan.conflicts, diffs=False))
    context = {
        **site.each_context(request),
        "title": "Revert this context?",
        "subtitle": None,
        "object": context_obj,
        "plan": plan,
        "steps": [(step, history_url(site, step.model, step.pk)) for step in plan.steps],
        "conflicts": conflict_rows,
        "change_url": change_url,
        "opts": model_admin.opts,
    }
    request.current_app = site.name
    return TemplateResponse(request, "tidemark_history/admin/context_revert.html", context)
