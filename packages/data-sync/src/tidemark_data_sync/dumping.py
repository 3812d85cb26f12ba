"""Dumping a dataset as streaming JSON Lines: a manifest line, then one object per line."""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, Any

from django.core.exceptions import EmptyResultSet
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from tidemark_core import applied_migrations, require_postgresql

from .columns import json_object_sql
from .datasets import Dataset, resolve
from .routing import database
from .signing import new_digest, seal

FORMAT = "tidemark-data-sync"
VERSION = 3
_FETCH = 2000

DatasetLike = str | Dataset | Iterable[Mapping[str, Any]]
"""A dataset: ``"NAME[:ARGS]"``, a resolved `Dataset`, or a list of spec dicts."""


def iter_dump(dataset: DatasetLike, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """The lines of a dump of `dataset` from the database `using`, each ending in a newline.

    The objects are read in one repeatable-read snapshot and spooled to a temporary file
    (the manifest, which comes first, carries their counts and the checksum), so memory
    stays flat however large the dataset is.

    Args:
        dataset: ``"NAME"`` or ``"NAME:ARGS"``, a resolved `Dataset`, or a list of specs
            (an ad-hoc dataset, as feincms3-data's ``dump_specs(specs)``).
        using: The source database alias.
    """
    require_postgresql(using, feature="dump_dataset")
    resolved = resolve(dataset, using=using)
    with tempfile.TemporaryFile() as spool:
        manifest = _write_objects(resolved, spool, using)
        yield json.dumps(manifest) + "\n"
        spool.seek(0)
        for line in spool:
            yield line.decode()


def dump(dataset: DatasetLike, output: IO[Any], *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    """Write a dump of `dataset` to the file `output` (text or binary).

    Args:
        dataset: ``"NAME"`` or ``"NAME:ARGS"``, a resolved `Dataset`, or a list of specs.
        output: An open file; binary files receive UTF-8.
        using: The source database alias.

    Returns:
        The manifest written as the first line.
    """
    lines = iter_dump(dataset, using=using)
    first = next(lines)
    binary = not isinstance(output, io.TextIOBase)
    output.write(first.encode() if binary else first)
    for line in lines:
        output.write(line.encode() if binary else line)
    manifest: dict[str, Any] = json.loads(first)
    return manifest


def _write_objects(dataset: Dataset, spool: IO[bytes], using: str) -> dict[str, Any]:
    connection = connections[using]
    digest = new_digest()
    counts: dict[str, int] = {}
    snapshot = not connection.in_atomic_block
    with transaction.atomic(using=using), database(using):
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for model in dataset.models:
            label = model._meta.label_lower
            mapper = dataset.mappers.get(label)
            counts[label] = 0
            select = _select(dataset, model, using)
            if select is None:
                continue  # the filters select nothing
            with connection.chunked_cursor() as cursor:
                cursor.execute(*select)
                while rows := cursor.fetchmany(_FETCH):
                    for (text,) in rows:
                        if mapper is not None:
                            text = json.dumps(mapper(json.loads(text)), cls=DjangoJSONEncoder)
                        data = (text + "\n").encode()
                        digest.update(data)
                        spool.write(data)
                    counts[label] += len(rows)
        applied = applied_migrations(using)
        specs = [spec.to_json() for spec in dataset.specs]
    app_labels = {model._meta.app_label for model in dataset.models}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "dataset": dataset.name,
        "args": dataset.args,
        "specs": specs,
        "counts": counts,
        "migrations": {
            app: sorted(name for label, name in applied if label == app)
            for app in sorted(app_labels)
        },
        "created": datetime.now(UTC).isoformat(),
    }
    # The checksum covers the manifest as a reader parses it back.
    return seal(digest, json.loads(json.dumps(manifest, cls=DjangoJSONEncoder)))


def _select(dataset: Dataset, model: type[models.Model], using: str) -> tuple[str, Any] | None:
    """One query for all of the model's specs (their filters ORed), each row once, by pk.

    None when the filters select nothing.
    """
    selected = dataset.select(model, using)
    table = connections[using].ops.quote_name(model._meta.db_table)
    pk: Any = model._meta.pk
    column = connections[using].ops.quote_name(pk.column)
    where, params = "", ()
    if selected is not None and selected.query.where:
        try:
            inner, params = selected.values("pk").query.sql_with_params()
        except EmptyResultSet:
            return None
        where = f" WHERE t.{column} IN ({inner})"
    return f"SELECT {json_object_sql(model, 't')} FROM {table} t{where} ORDER BY t.{column}", params
