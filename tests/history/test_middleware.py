"""HistoryMiddleware: each request is a context with user, method and path."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser, User
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from tests.history.conftest import events
from tests.history.testapp.models import Item
from tidemark_history.middleware import HistoryMiddleware
from tidemark_history.models import Context

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True)


def test_records_user_method_and_path() -> None:
    user = User.objects.create(username="ada")
    request = RequestFactory().post("/items/")
    request.user = user

    def view(request: HttpRequest) -> HttpResponse:
        Item.objects.create(name="a")
        return HttpResponse("ok")

    response = HistoryMiddleware(view)(request)

    assert response.status_code == 200  # type: ignore[union-attr]
    [stored] = Context.objects.all()
    assert stored.metadata == {"user": user.pk, "method": "POST", "path": "/items/"}
    assert events(ItemEvent)[0]["history_context_id"] == stored.id


def test_a_user_set_later_in_the_view_is_recorded() -> None:
    user = User.objects.create(username="drf")
    request = RequestFactory().patch("/api/items/1/")
    request.user = AnonymousUser()

    def view(request: HttpRequest) -> HttpResponse:
        request.user = user  # what DRF's authentication does inside the view
        Item.objects.create(name="a")
        return HttpResponse("ok")

    HistoryMiddleware(view)(request)

    assert Context.objects.get().metadata == {
        "user": user.pk,
        "method": "PATCH",
        "path": "/api/items/1/",
    }


def test_anonymous_requests_and_get_context_overrides() -> None:
    class TenantMiddleware(HistoryMiddleware):
        def get_context(self, request: HttpRequest) -> dict[str, Any]:
            return {**super().get_context(request), "tenant": request.headers["X-Tenant"]}

    def view(request: HttpRequest) -> HttpResponse:
        Item.objects.create(name="a")
        return HttpResponse("ok")

    TenantMiddleware(view)(RequestFactory().post("/", headers={"X-Tenant": "acme"}))

    assert Context.objects.get().metadata == {
        "user": None,
        "method": "POST",
        "path": "/",
        "tenant": "acme",
    }


def test_async_requests() -> None:
    async def view(request: HttpRequest) -> HttpResponse:
        await sync_to_async(Item.objects.create)(name="async")
        await sync_to_async(connections.close_all)()
        return HttpResponse("ok")

    middleware = HistoryMiddleware(view)
    response = asyncio.run(middleware(RequestFactory().put("/async/")))  # type: ignore[arg-type]

    assert response.status_code == 200
    assert Context.objects.get().metadata == {"user": None, "method": "PUT", "path": "/async/"}


def test_requests_that_write_nothing_store_no_context() -> None:
    HistoryMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))

    assert not Context.objects.exists()
