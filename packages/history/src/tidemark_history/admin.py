"""The admin: `HistoryAdmin` (an object's History page, revert, deleted rows), the events
timeline and the read-only Context admin with "Revert this context".

Nothing here can edit or delete an event or a context: the timeline is a plain view, the
Context admin refuses adding, changing and deleting, and reverting writes tracked rows only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.text import capfirst

from .display import link_previous, rows
from .event import Event
from .exceptions import HistoryError
from .models import Context
from .reading import deleted, event_models
from .timeline import events

PAGE_SIZE = 50


def _page(request: HttpRequest, items: Any, size: int = PAGE_SIZE) -> Any:
    paginator = Paginator(items, size)
    return paginator.get_page(request.GET.get("p", 1))


class HistoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A `ModelAdmin` (or mixin) that shows a tracked model's history in the admin.

    - The object's "History" page lists its events, newest first: when, who and why (the
      context), and a field-by-field diff; each has "Revert to this version".
    - Reverting asks for confirmation and needs the change permission (re-creating a
      deleted row also the add permission); a user without it sees no button and gets
      403 on the URL.
    - "Deleted <objects>" on the change list lists the rows deleted since, each with its
      history and "Restore".
    """

    change_list_template = "tidemark_history/admin/change_list.html"
    object_history_template = "tidemark_history/admin/object_history.html"
    history_revert_template = "tidemark_history/admin/revert.html"
    history_deleted_template = "tidemark_history/admin/deleted.html"

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("deleted/", wrap(self.history_deleted_view), name=f"{prefix}_history_deleted"),
            path(
                "<path:object_id>/history/<str:event_key>/revert/",
                wrap(self.history_revert_view),
                name=f"{prefix}_history_revert",
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args: Any) -> str:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return reverse(f"{self.admin_site.name}:{prefix}_{name}", args=args)

    def can_revert(self, request: HttpRequest, obj: models.Model | None) -> bool:
        """Whether the user may revert `obj` (None: re-create a deleted row)."""
        if obj is None:
            return self.has_add_permission(request) and self.has_change_permission(request)
        return self.has_change_permission(request, obj)

    def _blank(self, object_id: str) -> models.Model:
        pk = self.opts.pk
        assert pk is not None
        try:
            value = pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404 from None
        blank: models.Model = self.model(**{pk.attname: value})
        return blank

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The object's events, newest first, with diffs and revert buttons."""
        obj = self.get_object(request, unquote(object_id))
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        target = obj if obj is not None else self._blank(object_id)
        timeline = events(target, using=self._db(request))
        page = _page(request, timeline)
        if obj is None and not page.object_list:
            missing: HttpResponse = self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, self.opts, object_id
            )
            return missing
        items = list(page.object_list)
        link_previous(items)
        name = obj if obj is not None else f"{self.opts.verbose_name} {object_id} (deleted)"
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {name}",
            "subtitle": None,
            "object": obj,
            "object_id": object_id,
            "rows": rows(items),
            "page": page,
            "can_revert": self.can_revert(request, obj),
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def _db(self, request: HttpRequest) -> str:
        return str(self.get_queryset(request).db)

    def _event(self, request: HttpRequest, object_id: str, event_key: str) -> Event:
        name, _, number = event_key.rpartition("-")
        target = self._blank(object_id)
        for event_model in event_models(self.model):
            if event_model._meta.model_name == name and number.isdigit():  # type: ignore[attr-defined]
                found: Event | None = (
                    event_model._default_manager.using(self._db(request))  # type: ignore[attr-defined]
                    .select_related("history_context")
                    .filter(history_id=int(number), history_object_id=target.pk)
                    .first()
                )
                if found is not None:
                    return found
        raise Http404(f"No event {event_key} of {self.opts.verbose_name} {object_id}.")

    def history_revert_view(
        self, request: HttpRequest, object_id: str, event_key: str
    ) -> HttpResponse:
        """Confirm, then restore the object to one event's values (POST)."""
        obj = self.get_object(request, unquote(object_id))
        if not self.can_revert(request, obj):
            raise PermissionDenied
        event = self._event(request, object_id, event_key)
        history_url = self._url("history", quote(object_id))
        if request.method == "POST":
            try:
                restored = event.revert(using=self._db(request))
            except HistoryError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(history_url)
            self.message_user(
                request,
                f"{capfirst(self.opts.verbose_name)} “{restored}” was reverted to its version "
                f"of {event.history_at:%Y-%m-%d %H:%M:%S}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._url("change", quote(restored.pk)))
        current = (
            {f.name: getattr(obj, f.attname) for f in self.opts.concrete_fields}
            if obj is not None
            else {}
        )
        target = event.values()
        fields = [
            (name, current.get(name), value, obj is None or current.get(name) != value)
            for name, value in target.items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Revert to this version?" if obj is not None else "Restore this row?",
            "subtitle": None,
            "object": obj,
            "object_id": object_id,
            "row": rows([event], diffs=False)[0],
            "fields": fields,
            "history_url": history_url,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.history_revert_template, context)

    def history_deleted_view(self, request: HttpRequest) -> HttpResponse:
        """The rows of the model deleted since, newest first, each restorable."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        page = _page(request, deleted(self.model, using=self._db(request)))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Deleted {self.opts.verbose_name_plural}",
            "subtitle": None,
            "rows": rows(page.object_list, diffs=False),
            "page": page,
            "can_restore": self.can_revert(request, None),
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.history_deleted_template, context)


@admin.register(Context)
class ContextAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Contexts, read-only: each shows its events and offers "Revert this context"; the
    change list links to the timeline of every event."""

    list_display = ["id", "created_at", "summary"]
    list_filter = ["created_at"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = None
    change_form_template = "tidemark_history/admin/context.html"
    change_list_template = "tidemark_history/admin/context_list.html"

    @admin.display(description="metadata")
    def summary(self, context: Context) -> str:
        metadata = context.metadata if isinstance(context.metadata, dict) else {}
        return ", ".join(f"{key}={value}" for key, value in metadata.items())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("timeline/", wrap(self.timeline_view), name="tidemark_history_timeline"),
            path(
                "<path:object_id>/revert/",
                wrap(self.revert_view),
                name="tidemark_history_context_revert",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        from .views import context_events

        return super().change_view(
            request,
            object_id,
            form_url,
            {**context_events(self, request, object_id), **(extra_context or {})},
        )

    def timeline_view(self, request: HttpRequest) -> HttpResponse:
        from .views import timeline

        return timeline(self, request)

    def revert_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        from .views import revert_context_view

        return revert_context_view(self, request, object_id)
