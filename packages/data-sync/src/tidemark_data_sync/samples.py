"""How a plan names rows: pk with `str()` (or identity), and the fields an update changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models

WIDTH = 40
"""Values shown in a plan are cut to this many characters."""


def label_of(obj: models.Model, identity: Sequence[str] = ()) -> str:
    """``"pk: label"``: the row's identity values when it has them, else its ``str()``."""
    if identity:
        text = ", ".join(f"{name}={shown(getattr(obj, name, None))}" for name in identity)
    else:
        try:
            text = str(obj)
        except Exception:  # noqa: BLE001 - a row's __str__ may need rows this load writes later
            text = ""
    return f"{obj.pk}: {text}" if text else str(obj.pk)


def labels(
    model: type[models.Model], pks: Sequence[str], using: str, identity: Sequence[str] = ()
) -> dict[str, str]:
    """``label_of`` for the rows of `model` with the given pks (as text), by pk text."""
    found = {
        str(obj.pk): label_of(obj, identity)
        for obj in model._base_manager.using(using).filter(pk__in=list(pks))
    }
    return {pk: found.get(pk, pk) for pk in pks}


def shown(value: Any) -> str:
    """A value as a plan shows it: text quoted, None as None, long values cut."""
    return _text(None if value is None else str(value), quoted=isinstance(value, str))


def describe(changes: dict[str, list[str | None]], quoted: set[str]) -> str:
    """``name: 'Kettle' → 'Hammer', price: 10.00 → 12.50``.

    Args:
        changes: Field name → ``[old, new]``, as PostgreSQL prints the values.
        quoted: The fields whose values are text, shown quoted.
    """
    return ", ".join(
        f"{name}: {_text(old, name in quoted)} → {_text(new, name in quoted)}"
        for name, (old, new) in changes.items()
    )


def _text(value: str | None, quoted: bool) -> str:
    if value is None:
        return "None"
    text = repr(value) if quoted else value
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"
