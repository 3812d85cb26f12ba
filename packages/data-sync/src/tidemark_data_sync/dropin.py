"""feincms3-data's Python API on Tidemark: ad-hoc specs dumped and loaded without a dataset."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS

from .datasets import resolve
from .dumping import iter_dump
from .loading import Options, run
from .report import LoadResult
from .specs import Mappers
from .staging import Progress


def dump_specs(
    specs: Iterable[Mapping[str, Any]],
    *,
    mappers: Mappers | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> str:
    """A dump of the rows `specs` select, as text: feincms3-data's ``dump_specs()``.

    No dataset needs to be registered. The dump is Tidemark's format (checksummed, and
    signed when signing keys are set), not feincms3-data's single JSON document; load it
    with `load_dump`, or with `load` giving the same specs as ``dataset``.

    Args:
        specs: Spec dicts, with feincms3-data's keys (and ``identity``).
        mappers: Model label → function rewriting each dumped object of that model.
        using: The source database alias.
    """
    return "".join(iter_dump(resolve(specs, using=using, mappers=mappers), using=using))


def load_dump(
    data: str | bytes | Mapping[str, Any],
    *,
    specs: Iterable[Mapping[str, Any]] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    plan: bool = False,
    max_delete: int | None = None,
    ignorenonexistent: bool = False,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a dump held in memory: feincms3-data's ``load_dump()``, with every check of `load`.

    Args:
        data: A dump's text (what `dump_specs` returns, or a file's content), or a
            feincms3-data document as parsed JSON (``{"version": 1, "specs", "objects"}``).
        specs: The rows this load may touch. When None, a dump of a registered dataset is
            held to this project's definition of it, and a dump of ad-hoc specs (or a
            feincms3-data document) to the specs it carries itself, as feincms3-data does:
            its rows must still lie inside those filters. Pass `specs` for a dump that
            comes from elsewhere, or require signatures.
        using: The target database alias.
        plan: Compute every count and sample, then roll back.
        max_delete: Abort (changing nothing) when more rows would be deleted.
        ignorenonexistent: Skip fields this project's models do not have.
        progress: Called as ``progress(step, done, total)`` while reading.

    Returns:
        What changed (or, for a plan, would change).
    """
    if isinstance(data, Mapping):
        data = json.dumps(data)
    stream = io.BytesIO(data.encode() if isinstance(data, str) else data)
    options = Options(using, plan, max_delete, ignorenonexistent, progress)
    [result] = run([stream], options, specs, trust=specs is None)
    return result
