"""``manage.py admin_post``: submit forms of the admin as a logged-in user, as a browser would.

Each request goes through the project's middleware (sessions, authentication, and
``tidemark_history``'s ``HistoryMiddleware``, which records the user, method and path as the
context of every change), sent by Django's test client instead of a browser (so without a
CSRF token, as in tests)::

    manage.py admin_post --user admin /admin/shop/product/3/change/ in_stock=false
    manage.py admin_post --user editor /admin/shop/product/add/ "name=Tide gauge" category=2 \\
        price=60.00 /admin/shop/product/4/delete/

An argument starting with ``/`` is the path of a form, and the ``FIELD=VALUE`` arguments after
it change the values the form shows (a delete page needs none). Several forms are posted in
order.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve

BOOLEANS = {"true": True, "on": True, "false": False, "off": False}


class Command(BaseCommand):
    help = "Submit admin forms as a logged-in user (PATH FIELD=VALUE ... [PATH ...])."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The username of a staff user.")
        parser.add_argument("requests", nargs="+", metavar="PATH_OR_FIELD=VALUE")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["user"], is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user {options['user']!r}: create it first.")
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(user)
        for path, changes in parse(options["requests"]):
            self.stdout.write(f"POST {path} {submit(client, user, path, changes)}")


def parse(arguments: list[str]) -> list[tuple[str, dict[str, str]]]:
    """``[(path, {field: value})]`` from ``PATH FIELD=VALUE ... PATH ...``."""
    requests: list[tuple[str, dict[str, str]]] = []
    for argument in arguments:
        if argument.startswith("/"):
            requests.append((argument, {}))
        elif "=" in argument and requests:
            field, value = argument.split("=", 1)
            requests[-1][1][field] = value
        else:
            raise CommandError(f"{argument!r}: expected a path (/admin/...) or FIELD=VALUE.")
    return requests


def submit(client: Client, user: Any, path: str, changes: dict[str, str]) -> str:
    """Post the form at `path` with `changes`; what the admin answered."""
    response = client.post(path, form_data(user, path, changes))
    if response.status_code != 302:
        raise CommandError(f"POST {path} answered {response.status_code}, not a redirect.")
    return f"-> {response.status_code} {response['Location']}"


def form_data(user: Any, path: str, changes: dict[str, str]) -> dict[str, Any]:
    """What the page at `path` submits: its form's values with `changes`, or a deletion."""
    try:
        match = resolve(path)
        model_admin = match.func.model_admin
    except (Resolver404, AttributeError):
        raise CommandError(f"{path} is not a page of a model in the admin.") from None
    if match.url_name.endswith("_delete"):
        return {"post": "yes"}
    request = RequestFactory().get(path)
    request.user = user
    object_id = match.kwargs.get("object_id")
    obj = model_admin.get_object(request, object_id) if object_id else None
    if object_id and obj is None:
        raise CommandError(f"{path}: no such object.")
    form_class = model_admin.get_form(request, obj, change=obj is not None)
    form = form_class(instance=obj)
    unknown = set(changes) - set(form.fields)
    if unknown:
        raise CommandError(f"The form has no field {', '.join(sorted(unknown))}.")
    values = {name: form[name].value() for name in form.fields} | changes
    data: dict[str, Any] = {"_save": "Save"}
    for name, value in values.items():
        if isinstance(form.fields[name], forms.BooleanField):
            if boolean(name, value):
                data[name] = "on"  # an unchecked box is left out, as a browser does
        elif value is not None:
            data[name] = value
    submitted = form_class(data, instance=obj)
    if not submitted.is_valid():
        raise CommandError(f"{path}: {submitted.errors.as_text()}")
    return data


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, str):
        return bool(value)
    if value.lower() not in BOOLEANS:
        raise CommandError(f"{name}={value}: use true or false.")
    return BOOLEANS[value.lower()]
