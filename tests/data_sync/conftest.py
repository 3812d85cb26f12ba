"""Fixtures of the data-sync suite: dumping from one database and loading into another."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

from django.db import connections

from tidemark_data_sync import LoadResult, iter_dump, load

Dump = Callable[..., str]


def dump_text(dataset: str, using: str = "default") -> str:
    """The whole dump of `dataset` from `using` as text."""
    return "".join(iter_dump(dataset, using=using))


def load_text(text: str, using: str = "other", **options: Any) -> LoadResult:
    """Load a dump held as text (read as a binary file is: lines end at newlines only)."""
    return load(io.BytesIO(text.encode()), using=using, **options)


def reseal(manifest: dict[str, Any], body: str) -> str:
    """The dump of `manifest` and the object lines `body`, its checksum made anew by hand.

    As the format is documented: SHA-256 of the object lines, then of the manifest as
    canonical JSON without ``sha256`` and ``signature``. (The signature cannot be remade.)
    """
    covered = {key: value for key, value in manifest.items() if key not in ("sha256", "signature")}
    canonical = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    manifest = {**manifest, "sha256": hashlib.sha256((body + canonical).encode()).hexdigest()}
    return json.dumps(manifest) + "\n" + body


def rewrite(
    text: str, change: Callable[[list[dict[str, Any]]], None], *, rehash: bool = True
) -> str:
    """The dump with its objects changed by `change` (and, by default, resealed: counts
    and checksum made to match, as someone editing the file by hand can)."""
    lines = text.splitlines()
    manifest = json.loads(lines[0])
    objects = [json.loads(line) for line in lines[1:]]
    change(objects)
    body = "".join(json.dumps(obj) + "\n" for obj in objects)
    if not rehash:
        return json.dumps(manifest) + "\n" + body
    counts = dict.fromkeys(manifest["counts"], 0)
    for obj in objects:
        if isinstance(obj, dict) and obj.get("model") in counts:
            counts[obj["model"]] += 1
    return reseal({**manifest, "counts": counts}, body)


def snapshot(using: str = "other") -> dict[str, tuple[object, ...]]:
    """Every table's rows (as a digest and a count) and every sequence's state on `using`."""
    result: dict[str, tuple[object, ...]] = {}
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.oid::regclass::text, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S') "
            "ORDER BY 1"
        )
        for name, kind in cursor.fetchall():
            if kind == "S":
                cursor.execute(f"SELECT last_value, is_called FROM {name}")
            else:
                cursor.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), "
                    f"'')) FROM {name} t"
                )
            result[name] = tuple(cursor.fetchone())
    return result
