"""Fixtures of the data-sync suite: dumping from one database and loading into another."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tidemark_data_sync import LoadResult, iter_dump, load

Dump = Callable[..., str]


def dump_text(dataset: str, using: str = "default") -> str:
    """The whole dump of `dataset` from `using` as text."""
    return "".join(iter_dump(dataset, using=using))


def load_text(text: str, using: str = "other", **options: Any) -> LoadResult:
    """Load a dump held as text."""
    return load(text.splitlines(keepends=True), using=using, **options)


def rewrite(
    text: str, change: Callable[[list[dict[str, Any]]], None], *, rehash: bool = True
) -> str:
    """The dump with its objects changed by `change` (and, by default, a fixed manifest)."""
    import hashlib

    lines = text.splitlines()
    manifest = json.loads(lines[0])
    objects = [json.loads(line) for line in lines[1:]]
    change(objects)
    body = "".join(json.dumps(obj) + "\n" for obj in objects)
    if rehash:
        manifest["sha256"] = hashlib.sha256(body.encode()).hexdigest()
        counts = dict.fromkeys(manifest["counts"], 0)
        for obj in objects:
            if isinstance(obj, dict) and obj.get("model") in counts:
                counts[obj["model"]] += 1
        manifest["counts"] = counts
    return json.dumps(manifest) + "\n" + body
