"""Staging a dump into temporary tables: validated line by line, copied in bulk, typed in SQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from tidemark_core import quote_identifier as q

from .columns import cast_sql, column_type, m2m_fields, pk_type, value_fields
from .exceptions import InvalidDump
from .reader import Dump

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(step, done, total)`` while a load runs."""

SRC = q("tm$src")
"""The staged rows' source primary key column."""

_FLUSH = 1 << 20
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n"})


def m2m_column(field: Any) -> str:
    """The staged column holding one many-to-many field's list of related pks."""
    return q(f"m2m${field.name}")


class Stager:
    """Copies a dump's object lines into ``raw`` and splits them into one table per model.

    Attributes:
        prefix: The temporary tables' name prefix, unique per load.
        counts: Object lines read per model label.
    """

    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        prefix: str,
        labels: dict[str, type[models.Model]],
        *,
        ignorenonexistent: bool,
        progress: Progress | None,
    ) -> None:
        self.connection = connection
        self.prefix = prefix
        self.labels = labels
        self.index = {label: number for number, label in enumerate(labels)}
        self.names = {
            label: {f.name for f in value_fields(model)} | {f.name for f in m2m_fields(model)}
            for label, model in labels.items()
        }
        self.ignorenonexistent = ignorenonexistent
        self.progress = progress
        self.counts: dict[str, int] = dict.fromkeys(labels, 0)

    def table(self, kind: str, label: str | None = None) -> str:
        """The quoted name of a temporary table of this load."""
        suffix = f"_{self.index[label]}" if label is not None else ""
        return q(f"{self.prefix}_{kind}{suffix}")

    def copy(self, dump: Dump, total: int | None) -> str:
        """Validate and copy every object line; return the SHA-256 of the lines read."""
        digest = hashlib.sha256()
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {self.table('raw')} (seq bigint, spec int, obj jsonb) "
                "ON COMMIT DROP"
            )
            raw = cursor.cursor
            sql = f"COPY {self.table('raw')} (seq, spec, obj) FROM STDIN"
            if hasattr(raw, "copy"):
                with raw.copy(sql) as copy:
                    for chunk in self._chunks(dump, digest, total):
                        copy.write(chunk)
            else:  # pragma: no cover - psycopg2
                raw.copy_expert(sql, _Reader(self._chunks(dump, digest, total)))
            cursor.execute(f"ANALYZE {self.table('raw')}")
        return digest.hexdigest()

    def _chunks(self, dump: Dump, digest: Any, total: int | None) -> Iterator[bytes]:
        buffer: list[str] = []
        size = 0
        done = 0
        for number, line in dump.lines:
            digest.update(line)
            text = self._check(number, line)
            label = text[0]
            row = f"{number}\t{self.index[label]}\t{text[1].translate(_ESCAPES)}\n"
            buffer.append(row)
            size += len(row)
            self.counts[label] += 1
            done += 1
            if size >= _FLUSH:
                yield "".join(buffer).encode()
                buffer, size = [], 0
                if self.progress is not None:
                    self.progress("Reading the dump", done, total)
        if buffer:
            yield "".join(buffer).encode()
        if self.progress is not None:
            self.progress("Reading the dump", done, total)

    def _check(self, number: int, line: bytes) -> tuple[str, str]:
        try:
            text = line.decode().rstrip("\n")
            obj = json.loads(text)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise InvalidDump(
                f"Line {number} is not a JSON object: the dump is garbled or truncated."
            ) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("fields"), dict):
            raise InvalidDump(f"Line {number} is not an object with 'model', 'pk' and 'fields'.")
        label = obj.get("model")
        if not isinstance(label, str) or label not in self.labels:
            raise InvalidDump(
                f"Line {number} holds a {label!r} object, but the dataset's specs do not "
                f"include that model ({', '.join(self.labels)}). Nothing was loaded."
            )
        if not isinstance(obj.get("pk"), int | str) or isinstance(obj.get("pk"), bool):
            raise InvalidDump(f"Line {number}: the {label} object has no usable 'pk'.")
        unknown = set(obj["fields"]) - self.names[label]
        if unknown and not self.ignorenonexistent:
            raise InvalidDump(
                f"Line {number}: {label} has no field(s) {', '.join(sorted(unknown))}. "
                "Pass --ignorenonexistent to skip fields this project does not have."
            )
        return str(label), text

    def split(self, label: str) -> None:
        """Create the model's typed table: one row per pk (the last line wins), cast in SQL."""
        model = self.labels[label]
        connection = self.connection
        fields = "(r.obj -> 'fields')"
        columns = [f"(r.obj ->> 'pk')::{pk_type(model, connection)} AS {SRC}"]
        params: list[Any] = []
        for field in value_fields(model):
            default = field.get_db_prep_save(field.get_default(), connection)
            kind = column_type(field, connection)
            columns.append(
                f"CASE WHEN {fields} ? '{field.name}' THEN {cast_sql(field, fields, connection)}"
                f" ELSE %s::{kind} END AS {q(field.column)}"
            )
            params.append(default)
        for field in m2m_fields(model):
            columns.append(f"({fields} -> '{field.name}') AS {m2m_column(field)}")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE {self.table('s', label)} ON COMMIT DROP AS "
                f"SELECT DISTINCT ON (1) {', '.join(columns)} FROM {self.table('raw')} r "
                f"WHERE r.spec = %s ORDER BY 1, r.seq DESC",
                [*params, self.index[label]],
            )
            cursor.execute(f"CREATE UNIQUE INDEX ON {self.table('s', label)} ({SRC})")
            cursor.execute(f"ANALYZE {self.table('s', label)}")


class _Reader:  # pragma: no cover - psycopg2's copy_expert reads a file
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.rest = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.rest) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.rest += chunk
        if size < 0:
            size = len(self.rest)
        data, self.rest = self.rest[:size], self.rest[size:]
        return data

    readline = read
