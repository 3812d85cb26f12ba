"""The admin: History pages with diffs and revert, deleted rows, the timeline and contexts."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

import tidemark_history as history
from tests.history.testapp.models import Category, Item, Page
from tidemark_history.models import Context

pytestmark = pytest.mark.django_db(transaction=True)

ItemEvent = history.event_model(Item)


def login(*codenames: str, superuser: bool = False) -> tuple[Client, User]:
    if superuser:
        user = User.objects.create_superuser("boss", password="pw")
    else:
        name = f"clerk-{User.objects.count()}"
        user = User.objects.create_user(name, password="pw", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client, user


def url(name: str, *args: object) -> str:
    return reverse(f"admin:{name}", args=args)


def revert_url(item_pk: object, event: history.Event) -> str:
    return url("testapp_item_history_revert", item_pk, f"itemevent-{event.history_id}")


def test_history_page_shows_who_when_why_and_the_diff() -> None:
    client, user = login(superuser=True)
    with history.context(user=user.pk, reason="price review"):
        item = Item.objects.create(name="tea", price=Decimal("2.00"), quantity=1)
    Item.objects.filter(pk=item.pk).update(price=Decimal("2.50"))

    page = client.get(url("testapp_item_history", item.pk)).content.decode()

    assert page.count('class="tidemark-event"') == 2
    assert "boss" in page  # who: the context's user, by name
    assert "price review" in page  # why
    assert "<del>2.00</del>" in page
    assert "<ins>2.50</ins>" in page
    assert page.count("Revert to this version") == 2
    change = client.get(url("testapp_item_change", item.pk)).content.decode()
    assert url("testapp_item_history", item.pk) in change  # Django's History button


def test_revert_confirms_then_restores_and_records_the_revert() -> None:
    client, _user = login(superuser=True)
    item = Item.objects.create(name="tea", price=Decimal("2.00"))
    Item.objects.filter(pk=item.pk).update(price=Decimal("9.00"))
    first = ItemEvent.objects.order_by("history_id").first()

    confirm = client.get(revert_url(item.pk, first)).content.decode()
    assert "Revert to this version?" in confirm
    assert "<del>9.00</del>" in confirm
    assert "<strong>2.00</strong>" in confirm
    assert Item.objects.get().price == Decimal("9.00")  # nothing changes on GET

    response = client.post(revert_url(item.pk, first))
    assert response.status_code == 302
    assert response["Location"] == url("testapp_item_change", item.pk)
    assert Item.objects.get().price == Decimal("2.00")
    newest = history.events(item).first()
    assert newest.context.reverted_event == f"testapp.itemevent:{first.history_id}"  # type: ignore[union-attr]
    assert newest.context.path == revert_url(item.pk, first)  # type: ignore[union-attr]


def test_without_the_change_permission_no_button_and_403() -> None:
    client, _user = login("view_item")
    item = Item.objects.create(name="tea")
    event = ItemEvent.objects.get()

    page = client.get(url("testapp_item_history", item.pk))
    assert page.status_code == 200
    assert "Revert to this version" not in page.content.decode()
    assert client.get(revert_url(item.pk, event)).status_code == 403
    assert client.post(revert_url(item.pk, event)).status_code == 403
    assert Item.objects.get().name == "tea"
    stranger, _ = login()
    assert stranger.get(url("testapp_item_history", item.pk)).status_code == 403


def test_deleted_rows_are_listed_and_restorable() -> None:
    client, _user = login("view_item", "change_item")
    item = Item.objects.create(name="gone", quantity=3)
    pk = item.pk
    item.delete()
    delete = history.events(model=Item).first()

    changelist = client.get(url("testapp_item_changelist")).content.decode()
    assert url("testapp_item_history_deleted") in changelist
    listing = client.get(url("testapp_item_history_deleted")).content.decode()
    assert url("testapp_item_history", pk) in listing
    assert "Restore" not in listing  # re-creating needs the add permission too
    assert client.get(revert_url(pk, delete)).status_code == 403  # type: ignore[arg-type]
    deleted_history = client.get(url("testapp_item_history", pk)).content.decode()
    assert "(deleted)" in deleted_history

    client, _user = login(superuser=True)
    listing = client.get(url("testapp_item_history_deleted")).content.decode()
    assert "Restore" in listing
    assert "Restore this row?" in client.get(revert_url(pk, delete)).content.decode()  # type: ignore[arg-type]
    client.post(revert_url(pk, delete))  # type: ignore[arg-type]
    assert Item.objects.get(pk=pk).quantity == 3
    assert (
        "No item has been deleted"
        in client.get(url("testapp_item_history_deleted")).content.decode()
    )


def test_unknown_objects_and_events_are_404() -> None:
    client, _user = login(superuser=True)
    item = Item.objects.create(name="tea")
    assert client.get(url("testapp_item_history", 999999)).status_code == 302  # Django's way
    assert client.get(url("testapp_item_history", "not-a-number")).status_code == 404
    assert (
        client.get(url("testapp_item_history_revert", item.pk, "itemevent-999")).status_code == 404
    )
    assert client.get(url("testapp_item_history_revert", item.pk, "other-1")).status_code == 404


def test_a_failed_revert_says_why_and_changes_nothing() -> None:
    client, _user = login(superuser=True)
    page = Page.objects.create(title="p", price=1)
    pk = page.pk
    page.delete()
    delete = history.events(model=Page).first()
    target = url("testapp_page_history_revert", pk, f"pricechange-{delete.history_id}")  # type: ignore[union-attr]
    response = client.post(target, follow=True)
    assert "no value for" in response.content.decode()
    assert not Page.objects.filter(pk=pk).exists()


def test_timeline_filters_and_links() -> None:
    client, user = login(superuser=True)
    with history.context(user=user.pk, reason="import") as block:
        tea = Item.objects.create(name="tea")
        Page.objects.create(title="p")
    Item.objects.filter(pk=tea.pk).update(quantity=4)

    def timeline(query: str = "") -> str:
        return client.get(url("tidemark_history_timeline") + query).content.decode()

    page = timeline()
    assert page.count('class="tidemark-event"') == 3
    assert url("testapp_item_history", tea.pk) in page
    assert url("tidemark_history_context_change", block.id) in page
    assert timeline("?model=testapp.page").count('class="tidemark-event"') == 1
    assert timeline("?label=update").count('class="tidemark-event"') == 1
    assert timeline(f"?user={user.pk}").count('class="tidemark-event"') == 2
    assert timeline(f"?context={block.id}").count('class="tidemark-event"') == 2
    assert timeline("?context=junk").count('class="tidemark-event"') == 0
    assert timeline("?model=nope.nothing").count('class="tidemark-event"') == 0
    assert timeline("?since=2000-01-01&until=2999-01-01").count('class="tidemark-event"') == 3
    assert timeline("?until=2000-01-01").count('class="tidemark-event"') == 0
    assert "No event matches" in timeline("?since=bad-date&until=2000-01-01")
    assert (
        url("tidemark_history_timeline")
        in client.get(url("tidemark_history_context_changelist")).content.decode()
    )


def test_the_timeline_shows_only_models_the_user_may_view() -> None:
    Item.objects.create(name="tea")
    Page.objects.create(title="p")
    client, _user = login("view_context", "view_page")
    page = client.get(url("tidemark_history_timeline")).content.decode()
    assert page.count('class="tidemark-event"') == 1
    assert "page" in page
    nobody, _ = login()
    assert nobody.get(url("tidemark_history_timeline")).status_code == 403


def test_context_admin_is_read_only_and_reverts_a_context() -> None:
    client, _user = login(superuser=True)
    kept = Item.objects.create(name="kept", quantity=1)
    with history.context(reason="bulk edit") as block:
        Item.objects.filter(pk=kept.pk).update(quantity=7)
        added = Item.objects.create(name="added")
    context = Context.objects.get(pk=block.id)

    model_admin = admin.site._registry[Context]
    request = type("R", (), {"user": User.objects.get(username="boss")})()
    assert not model_admin.has_add_permission(request)  # type: ignore[arg-type]
    assert not model_admin.has_change_permission(request, context)  # type: ignore[arg-type]
    assert not model_admin.has_delete_permission(request, context)  # type: ignore[arg-type]
    assert client.get(url("tidemark_history_context_delete", block.id)).status_code == 403
    assert client.post(url("tidemark_history_context_change", block.id), {}).status_code == 403

    page = client.get(url("tidemark_history_context_change", block.id)).content.decode()
    assert page.count('class="tidemark-event"') == 2
    assert "Revert this context" in page
    confirm = client.get(url("tidemark_history_context_revert", block.id)).content.decode()
    assert f"update testapp.Item {kept.pk}" in confirm
    assert f"delete testapp.Item {added.pk}" in confirm
    assert 'name="force"' not in confirm

    response = client.post(url("tidemark_history_context_revert", block.id))
    assert response.status_code == 302
    assert list(Item.objects.values_list("name", "quantity")) == [("kept", 1)]
    undo = uuid.UUID(response["Location"].rstrip("/").split("/")[-2])
    assert Context.objects.get(pk=undo).reverted_context == str(block.id)


def test_context_revert_with_later_changes_needs_the_force_box() -> None:
    client, _user = login(superuser=True)
    with history.context(reason="import") as block:
        item = Item.objects.create(name="tea")
    Item.objects.filter(pk=item.pk).update(quantity=5)

    confirm = client.get(url("tidemark_history_context_revert", block.id)).content.decode()
    assert "Changed again since" in confirm
    assert 'name="force"' in confirm
    refused = client.post(url("tidemark_history_context_revert", block.id), follow=True)
    assert "changed again since" in refused.content.decode()
    assert Item.objects.filter(pk=item.pk).exists()
    client.post(url("tidemark_history_context_revert", block.id), {"force": "1"})
    assert not Item.objects.filter(pk=item.pk).exists()


def test_context_revert_permissions_and_edge_cases() -> None:
    with history.context(reason="import") as block:
        Item.objects.create(name="tea")
    client, _user = login("view_context", "view_item")
    page = client.get(url("tidemark_history_context_change", block.id)).content.decode()
    assert "Revert this context" not in page
    assert client.get(url("tidemark_history_context_revert", block.id)).status_code == 403
    assert client.post(url("tidemark_history_context_revert", block.id)).status_code == 403
    assert Item.objects.exists()

    boss, _ = login(superuser=True)
    assert boss.get(url("tidemark_history_context_revert", uuid.uuid4())).status_code == 404
    assert boss.get(url("tidemark_history_context_revert", "junk")).status_code == 404
    with history.context(reason="untracked") as untracked:
        Category.objects.create(name="c")
    # A context that recorded no event leaves no row ...
    assert boss.get(url("tidemark_history_context_revert", untracked.id)).status_code == 404
    # ... but a row may have lost its events, or been inserted by hand.
    orphan = Context.objects.create(id=uuid.uuid4(), metadata={"reason": "orphan"})
    response = boss.get(url("tidemark_history_context_revert", orphan.id), follow=True)
    assert "nothing to revert" in response.content.decode()


def test_who_and_the_diff_of_events_the_user_model_or_the_model_no_longer_knows() -> None:
    from tidemark_history.display import rows

    with history.context(user="not-a-pk"):
        item = Item.objects.create(name="tea")
    [row] = rows(history.events(item)[:1])
    assert row.who == "user not-a-pk"
    assert [change.label for change in row.changes][:1] == ["name"]
    from tidemark_history.display import _verbose

    assert _verbose(Item, "removed_field") == "removed_field"


def test_pages_of_a_deleted_row_and_of_a_context_with_an_unusual_id() -> None:
    client, _user = login(superuser=True)
    assert client.get(url("tidemark_history_context_change", "not-a-uuid")).status_code in (
        302,
        404,
    )
    viewer, _ = login("view_item")
    assert viewer.get(url("testapp_item_history_deleted")).status_code == 200
    outsider, _ = login()
    assert outsider.get(url("testapp_item_history_deleted")).status_code == 403
    assert outsider.get(url("tidemark_history_context_revert", uuid.uuid4())).status_code == 403
