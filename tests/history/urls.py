"""URLs of the history suite: the admin, and a view that writes a tracked row."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path

from tests.history.testapp.models import Item


def create_item(request: HttpRequest, rest: str) -> HttpResponse:
    """Write one row whatever the rest of the path holds (NUL characters too)."""
    item = Item.objects.create(name=request.POST.get("name", "from a request"))
    return HttpResponse(str(item.pk))


urlpatterns = [path("admin/", admin.site.urls), path("items/<path:rest>", create_item)]
