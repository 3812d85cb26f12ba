"""HistoryMiddleware: each request is a context with user, method and path."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import AnonymousUser, User
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from tests.history.conftest import events
from tests.history.testapp.models import Item
from tidemark_history.middleware import PATH_LIMIT, HistoryMiddleware
from tidemark_history.models import Context

ItemEvent = Item.history.field.model  # type: ignore[attr-defined]

pytestmark = pytest.mark.django_db(transaction=True)
MIDDLEWARE = "tidemark_history.middleware.HistoryMiddleware"


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


def test_a_login_and_a_logout_keep_the_metadata_of_earlier_events() -> None:
    alice = User.objects.create(username="alice")
    request = RequestFactory().post("/session/")
    request.user = AnonymousUser()

    def view(request: HttpRequest) -> HttpResponse:
        Item.objects.create(name="anonymous")
        request.user = alice  # what login() does
        Item.objects.create(name="alice")
        Item.objects.filter(name="alice").update(quantity=2)
        request.user = AnonymousUser()  # what logout() does
        Item.objects.create(name="after logout")
        return HttpResponse("ok")

    HistoryMiddleware(view)(request)

    users = [
        (row["name"], row["history_label"], Context.objects.get(pk=row["history_context_id"]))
        for row in events(ItemEvent)
    ]
    assert [(name, label, c.metadata["user"]) for name, label, c in users] == [
        ("anonymous", "insert", None),
        ("alice", "insert", alice.pk),
        ("alice", "update", alice.pk),
        ("after logout", "insert", None),
    ]
    first, second, _, third = (c for _, _, c in users)
    assert len({first.id, second.id, third.id}) == 3  # rows are never rewritten
    assert (second.parent, third.parent) == (first.id, second.id)
    assert Context.objects.count() == 3


@override_settings(ROOT_URLCONF="tests.history.urls", MIDDLEWARE=[MIDDLEWARE])
def test_a_nul_in_the_url_of_a_writing_view_is_stored_escaped() -> None:
    response = Client().post("/items/%00x/caf%C3%A9?q=%00")

    assert response.status_code == 200
    [event] = events(ItemEvent)
    assert event["history_object_id"] == int(response.content)
    assert Context.objects.get(pk=event["history_context_id"]).metadata == {
        "user": None,
        "method": "POST",
        "path": "/items/%00x/caf%C3%A9",
    }


@override_settings(ROOT_URLCONF="tests.history.urls", MIDDLEWARE=[MIDDLEWARE])
def test_a_long_path_is_cut() -> None:
    response = Client().post("/items/" + "a" * 5000)

    assert response.status_code == 200
    path = Context.objects.get().metadata["path"]
    assert len(path) == PATH_LIMIT
    assert path == ("/items/" + "a" * 5000)[: PATH_LIMIT - 3] + "..."


def test_metadata_an_override_cannot_store_never_breaks_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Careless(HistoryMiddleware):
        def get_context(self, request: HttpRequest) -> dict[str, Any]:
            return {**super().get_context(request), "agent": request.headers["User-Agent"]}

    class Failing(HistoryMiddleware):
        def get_context(self, request: HttpRequest) -> dict[str, Any]:
            raise KeyError("tenant")

    def view(request: HttpRequest) -> HttpResponse:
        Item.objects.create(name=request.method or "")
        return HttpResponse("ok")

    with caplog.at_level(logging.WARNING, logger="tidemark_history"):
        first = Careless(view)(RequestFactory().post("/a/", headers={"User-Agent": "x\x00"}))
        second = Failing(view)(RequestFactory().put("/b/"))

    assert (first.status_code, second.status_code) == (200, 200)  # type: ignore[union-attr]
    assert sorted(
        (c.metadata["method"], c.metadata["path"], c.metadata["user"])
        for c in Context.objects.all()
    ) == [("POST", "/a/", None), ("PUT", "/b/", None)]
    assert len(events(ItemEvent)) == 2
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "History context of POST /a/ cannot be stored" in messages[0]
    assert "contains a NUL character" in messages[0]
    assert "KeyError('tenant')" in messages[1]


def test_requests_that_write_nothing_store_no_context() -> None:
    HistoryMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))

    assert not Context.objects.exists()
