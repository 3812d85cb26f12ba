"""Staging a dump into temporary tables: validated line by line, copied in bulk, typed in SQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from tidemark_core import quote_identifier as q

from .columns import cast_sql, column_type, exactness, m2m_fields, pk_type, value_fields
from .exceptions import InvalidDump
from .reader import Dump

Progress = Callable[[str, int, int | None], None]
"""Called as ``progress(step, done, total)`` while a load runs."""

SRC = q("tm$src")
"""The staged rows' source primary key column."""

SEQ = q("tm$seq")
"""The staged rows' line number in the dump."""

_COPY_LINE = re.compile(r"COPY [^,]+, line (\d+)")
# JSON allows tabs and carriage returns only as whitespace between tokens (inside strings
# they are escaped), where COPY's text format would read them as a column or row end.
_COPY_ESCAPES = ((b"\\", b"\\\\"), (b"\t", b"\\t"), (b"\r", b"\\r"))

FLUSH_BYTES = 1 << 20
"""How many bytes of lines are sent to COPY at a time."""


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
        self.dump: Dump | None = None

    def table(self, kind: str, label: str | None = None) -> str:
        """The quoted name of a temporary table of this load."""
        suffix = f"_{self.index[label]}" if label is not None else ""
        return q(f"{self.prefix}_{kind}{suffix}")

    def sql(self, sql: str, params: Any = ()) -> Any:
        """Run one statement of this load: its rows, or the count of rows it changed."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else cursor.rowcount

    def where(self, *numbers: int) -> str:
        """``Line N`` (or, in a feincms3-data dump, ``Object N``) of this load's dump."""
        assert self.dump is not None
        return self.dump.where(*numbers)

    def copy(self, dump: Dump, digest: Any, total: int | None) -> None:
        """Copy every object line into ``raw`` and validate them there.

        Python only hashes and escapes the lines; PostgreSQL parses the JSON.

        Args:
            dump: The opened dump.
            digest: A SHA-256 that is fed every object line, as read.
            total: How many lines to expect (for the progress bar), if known.

        Raises:
            InvalidDump: A line is not JSON, not an object of a dataset model, has no
                usable pk, or names fields the model lacks (unless ignorenonexistent).
        """
        self.dump = dump
        raw_table = self.table("raw")
        database: Any = getattr(self.connection, "Database")  # noqa: B009 - not in the stubs
        with self.connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {raw_table} (seq bigint, obj jsonb) ON COMMIT DROP")
            raw = cursor.cursor
            sql = f"COPY {raw_table} (seq, obj) FROM STDIN"
            try:
                if hasattr(raw, "copy"):
                    with raw.copy(sql) as copy:
                        for chunk in self._chunks(dump, digest, total):
                            copy.write(chunk)
                else:  # pragma: no cover - psycopg2 (make test-psycopg2)
                    raw.copy_expert(sql, _Reader(self._chunks(dump, digest, total)))
            except database.Error as error:
                context = str(getattr(getattr(error, "diag", None), "context", "") or "")
                found = _COPY_LINE.search(context)
                # COPY counts the rows it was sent: one per object line, after the manifest.
                place = (
                    self.where(int(found.group(1)) + (0 if dump.legacy else 1))
                    if found
                    else "A line"
                )
                raise InvalidDump(
                    f"{place} is not a JSON object: the dump is garbled or truncated."
                ) from None
        self._validate()

    def _chunks(self, dump: Dump, digest: Any, total: int | None) -> Iterator[bytes]:
        buffer: list[bytes] = []
        size = 0
        done = 0
        for number, line in dump.lines:
            digest.update(line)
            for special, escaped in _COPY_ESCAPES:
                if special in line:
                    line = line.replace(special, escaped)
            if not line.endswith(b"\n"):
                line += b"\n"
            row = b"%d\t%s" % (number, line)
            buffer.append(row)
            size += len(row)
            done += 1
            if size >= FLUSH_BYTES:
                yield b"".join(buffer)
                buffer, size = [], 0
                if self.progress is not None:
                    self.progress("Reading the dump", done, total)
        if buffer:
            yield b"".join(buffer)
        if self.progress is not None:
            self.progress("Reading the dump", done, total)

    def _unknown_fields(self, number: int) -> list[str]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT obj ->> 'model', jsonb_object_keys(obj -> 'fields') FROM "
                f"{self.table('raw')} WHERE seq = %s",
                [number],
            )
            return [key for label, key in cursor.fetchall() if key not in self.names[label]]

    def _validate(self) -> None:
        """Find the first bad line in one scan of ``raw``, then say what is wrong with it."""
        raw = self.table("raw")
        # jsonb minus the model's field names leaves exactly the unknown ones.
        unknown, unknown_params = "FALSE", list[Any]()
        if not self.ignorenonexistent:
            cases = " ".join("WHEN %s THEN (obj -> 'fields') - %s::text[]" for _label in self.names)
            unknown = f"(CASE obj ->> 'model' {cases} END) <> '{{}}'::jsonb"
            for label, names in self.names.items():
                unknown_params += [label, sorted(names)]
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT seq, jsonb_typeof(obj) = 'object' AND jsonb_typeof(obj -> 'fields') = "
                "'object', (obj ->> 'model') = ANY(%s), jsonb_typeof(obj -> 'pk') IN "
                f"('number', 'string'), obj ->> 'model' FROM {raw} "
                "WHERE jsonb_typeof(obj) <> 'object' OR jsonb_typeof(obj -> 'fields') IS "
                "DISTINCT FROM 'object' OR (obj ->> 'model') IS NULL OR NOT (obj ->> 'model') = "
                "ANY(%s) OR jsonb_typeof(obj -> 'pk') IS NULL OR jsonb_typeof(obj -> 'pk') "
                f"NOT IN ('number', 'string') OR {unknown} ORDER BY seq LIMIT 1",
                [list(self.labels), list(self.labels), *unknown_params],
            )
            bad = cursor.fetchone()
        if bad:
            number, shaped, known, keyed, label = bad
            place = self.where(number)
            if not shaped:
                raise InvalidDump(f"{place} is not an object with 'model', 'pk' and 'fields'.")
            if not known:
                raise InvalidDump(
                    f"{place} holds a {label!r} object, but the dataset's specs do not "
                    f"include that model ({', '.join(self.labels)}). Nothing was loaded."
                )
            if not keyed:
                raise InvalidDump(f"{place}: the {label} object has no usable 'pk'.")
            fields = ", ".join(sorted(self._unknown_fields(number)))
            raise InvalidDump(
                f"{place}: {label} has no field(s) {fields}. "
                "Pass --ignorenonexistent to skip fields this project does not have."
            )
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT obj ->> 'model', count(*) FROM {raw} GROUP BY 1")
            for label, count in cursor.fetchall():
                self.counts[label] = count

    def split(self, label: str) -> None:
        """Create the model's typed table: one row per object line, cast in SQL.

        Raises:
            InvalidDump: Two lines hold the same pk, or a value does not fit its column
                exactly (too long, too many decimals).
        """
        model = self.labels[label]
        connection = self.connection
        fields = "(r.obj -> 'fields')"
        columns = [f"r.seq AS {SEQ}", f"(r.obj ->> 'pk')::{pk_type(model, connection)} AS {SRC}"]
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
                f"SELECT {', '.join(columns)} FROM {self.table('raw')} r "
                f"WHERE (r.obj ->> 'model') = %s",
                [*params, label],
            )
        self.require_unique(label, [SRC], "the same pk")
        self._check_exact(label)

    def require_unique(self, label: str, columns: Sequence[str], what: str) -> None:
        """Refuse two staged rows of `label` with the same values in `columns`.

        Builds the unique index the load uses; only when that fails are the lines found.
        """
        table = self.table("s", label)
        try:
            with transaction.atomic(using=self.connection.alias), self.connection.cursor() as c:
                c.execute(f"CREATE UNIQUE INDEX ON {table} ({', '.join(columns)})")
        except IntegrityError:
            with self.connection.cursor() as cursor:
                grouped = ", ".join(columns)
                cursor.execute(
                    f"SELECT array_agg({SEQ} ORDER BY {SEQ}), concat_ws(', ', "
                    f"{', '.join(f'{c}::text' for c in columns)}) FROM {table} "
                    f"GROUP BY {grouped} HAVING count(*) > 1 ORDER BY min({SEQ}) LIMIT 1"
                )
                numbers, values = cursor.fetchone()
            places = self.where(*numbers[:2])
            raise InvalidDump(
                f"{places} hold {label} rows with {what} ({values}): a dump holds each row "
                "once. Nothing was loaded."
            ) from None

    def _check_exact(self, label: str) -> None:
        model = self.labels[label]
        pk: Any = model._meta.pk
        checks = [
            (field, found)
            for field, column in [(pk, SRC), *((f, q(f.column)) for f in value_fields(model))]
            if (found := exactness(field, self.connection, column))
        ]
        if not checks:
            return
        table = self.table("s", label)
        cases = " ".join(f"WHEN {sql} THEN {number}" for number, (_, (sql, _)) in enumerate(checks))
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {SEQ}, {SRC}::text, CASE {cases} END FROM {table} "
                f"WHERE {' OR '.join(sql for _, (sql, _) in checks)} ORDER BY {SEQ} LIMIT 1"
            )
            bad = cursor.fetchone()
        if bad:
            number, pk_value, index = bad
            field, (_, takes) = checks[index]
            raise InvalidDump(
                f"{self.where(number)}: {label} {pk_value}: the value of {field.name!r} does "
                f"not fit its column, which takes {takes}. Nothing was loaded."
            )


class _Reader:  # pragma: no cover - psycopg2 (make test-psycopg2): copy_expert reads a file
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
