"""Dumping a dataset as streaming JSON Lines: a manifest line, then one object per line."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import reduce
from operator import or_
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from tidemark_core import applied_migrations, require_postgresql

from .columns import json_object_sql
from .specs import Dataset, get_dataset, parse_name

FORMAT = "tidemark-data-sync"
VERSION = 2
_FETCH = 2000


def iter_dump(dataset: str | Dataset, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """The lines of a dump of `dataset` from the database `using`, each ending in a newline.

    The objects are read in one repeatable-read snapshot and spooled to a temporary file
    (the manifest, which comes first, carries their counts and checksum), so memory stays
    flat however large the dataset is.

    Args:
        dataset: ``"NAME"`` or ``"NAME:ARGS"``, or a resolved `Dataset`.
        using: The source database alias.
    """
    require_postgresql(using, feature="dump_dataset")
    resolved = get_dataset(*parse_name(dataset)) if isinstance(dataset, str) else dataset
    with tempfile.TemporaryFile() as spool:
        manifest = _write_objects(resolved, spool, using)
        yield json.dumps(manifest, cls=DjangoJSONEncoder) + "\n"
        spool.seek(0)
        for line in spool:
            yield line.decode()


def dump(
    dataset: str | Dataset, output: IO[Any], *, using: str = DEFAULT_DB_ALIAS
) -> dict[str, Any]:
    """Write a dump of `dataset` to the file `output` (text or binary).

    Args:
        dataset: ``"NAME"`` or ``"NAME:ARGS"``, or a resolved `Dataset`.
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
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    snapshot = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if snapshot:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for model in dataset.models:
            label = model._meta.label_lower
            mapper = dataset.mappers.get(label)
            counts[label] = 0
            sql, params = _select(dataset, model, using)
            with connection.chunked_cursor() as cursor:
                cursor.execute(sql, params)
                while rows := cursor.fetchmany(_FETCH):
                    for (text,) in rows:
                        if mapper is not None:
                            text = json.dumps(mapper(json.loads(text)), cls=DjangoJSONEncoder)
                        data = (text + "\n").encode()
                        digest.update(data)
                        spool.write(data)
                    counts[label] += len(rows)
        applied = applied_migrations(using)
    app_labels = {model._meta.app_label for model in dataset.models}
    return {
        "format": FORMAT,
        "version": VERSION,
        "dataset": dataset.name,
        "args": dataset.args,
        "specs": [spec.to_json() for spec in dataset.specs],
        "counts": counts,
        "migrations": {
            app: sorted(name for label, name in applied if label == app)
            for app in sorted(app_labels)
        },
        "sha256": digest.hexdigest(),
        "created": datetime.now(UTC).isoformat(),
    }


def _select(dataset: Dataset, model: type[models.Model], using: str) -> tuple[str, Any]:
    """One query for all of the model's specs (their filters ORed), each row once, by pk."""
    filters = [spec.filter for spec in dataset.specs if spec.model is model]
    queryset = model._base_manager.using(using).all()
    if all(filters):
        queryset = queryset.filter(reduce(or_, (models.Q(**f) for f in filters)))
    table = connections[using].ops.quote_name(model._meta.db_table)
    pk: Any = model._meta.pk
    column = connections[using].ops.quote_name(pk.column)
    where, params = "", ()
    if queryset.query.where:
        inner, params = queryset.values("pk").query.sql_with_params()
        where = f" WHERE t.{column} IN ({inner})"
    return f"SELECT {json_object_sql(model, 't')} FROM {table} t{where} ORDER BY t.{column}", params
