"""The set-based load of one dump: pk maps, upserts and link tables, all in SQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, models
from django.db.backends.base.base import BaseDatabaseWrapper

from tidemark_core import quote_identifier as q

from .columns import column_type, m2m_fields, pk_column, pk_type, value_fields
from .datasets import Dataset
from .deleting import Deleter
from .exceptions import LoadFailed
from .report import SAMPLES, LoadResult
from .samples import describe, labels
from .specs import Spec
from .staging import SRC, Stager, m2m_column


class Engine:
    """Writes the staged rows of one dump into the target tables.

    Args:
        stager: The staging of this dump (its tables and models).
        dataset: The target's own definition of the dataset (its filters are used).
        result: Collects the counts and samples.
        deleter: Deletes (and counts) the rows the load removes.
    """

    def __init__(
        self, stager: Stager, dataset: Dataset, result: LoadResult, deleter: Deleter
    ) -> None:
        self.stager = stager
        self.connection = stager.connection
        self.using = str(self.connection.alias)
        self.dataset = dataset
        self.result = result
        self.deleter = deleter
        self.labels = stager.labels
        self.specs: dict[str, Spec] = {}
        for spec in dataset.specs:
            self.specs.setdefault(spec.label, spec)
        self.remapped: dict[str, bool] = {}

    def _sql(self, sql: str, params: Any = ()) -> Any:
        return self.stager.sql(sql, params)

    def _pk_target(self, model: type[models.Model]) -> str | None:
        pk: Any = model._meta.pk
        if pk.remote_field is None:
            return None
        return str(pk.related_model._meta.label_lower)

    def order(self) -> list[str]:
        """The labels with every model after the model its pk points to (MTI parents first)."""

        def depth(label: str) -> int:
            target = self._pk_target(self.labels[label])
            return depth(target) + 1 if target in self.labels else 0

        return sorted(self.labels, key=depth)

    def _ref(self, field: Any) -> str | None:
        """The label of a remapped model this FK column points at by pk, if any."""
        if not field.is_relation or not field.concrete or field.many_to_many:
            return None
        target = field.related_model._meta.label_lower
        if not self.remapped.get(target) or not field.target_field.primary_key:
            return None
        return str(target)

    def _value(self, field: Any, joins: list[str]) -> str:
        ref = self._ref(field)
        column = f"s.{q(field.column)}"
        kind = str(field.db_type(self.connection))
        if column_type(field, self.connection) != kind:
            # Staged wider (text, numeric) and checked to fit: the cast is exact.
            column = f"{column}::{kind}"
        if ref is None:
            return column
        alias = f"r{len(joins)}"
        joins.append(f"LEFT JOIN {self.stager.table('m', ref)} {alias} ON {alias}.src = {column}")
        return f"COALESCE({alias}.dst, {column})"

    def build_map(self, label: str) -> None:
        """Map each staged pk to its target pk: kept, new (save_as_new), matched (identity)."""
        model, spec = self.labels[label], self.specs[label]
        s, m = self.stager.table("s", label), self.stager.table("m", label)
        table, pk = q(model._meta.db_table), pk_column(model)
        joins: list[str] = []
        parent = self._pk_target(model)
        if parent in self.labels:
            joins.append(f"LEFT JOIN {self.stager.table('m', parent)} p ON p.src = s.{SRC}")
            dst, self.remapped[label] = f"COALESCE(p.dst, s.{SRC})", self.remapped[str(parent)]
        elif spec.save_as_new:
            if parent is not None:
                raise LoadFailed(
                    f"{label} uses 'save_as_new', but its pk is the relation to {parent}, "
                    "which is not in the dataset; add it with 'save_as_new'."
                )
            dst = self._new_pk(model)
            self.remapped[label] = True
        elif spec.identity:
            fields: list[Any] = [model._meta.get_field(name) for name in spec.identity]
            on = " AND ".join(f"t.{q(f.column)} = {self._value(f, joins)}" for f in fields)
            joins.append(f"LEFT JOIN {table} t ON {on}")
            auto = isinstance(model._meta.pk, models.AutoField)
            new = self._new_pk(model, unmatched=f"t.{pk} IS NULL") if auto else f"s.{SRC}"
            dst, self.remapped[label] = f"COALESCE(t.{pk}, {new})", True
        else:
            dst, self.remapped[label] = f"s.{SRC}", False
        # OFFSET 0 keeps the subquery whole, so new pks are drawn once per row, in pk order.
        self._sql(
            f"CREATE TEMP TABLE {m} ON COMMIT DROP AS SELECT x.src, x.dst, EXISTS (SELECT 1 "
            f"FROM {table} t2 WHERE t2.{pk} = x.dst) AS existed FROM (SELECT s.{SRC} AS src, "
            f"{dst} AS dst FROM {s} s {' '.join(joins)} ORDER BY s.{SRC} OFFSET 0) x"
        )
        try:
            self._sql(f"CREATE UNIQUE INDEX ON {m} (src)")
            self._sql(f"CREATE UNIQUE INDEX ON {m} (dst)")
        except DatabaseError as error:
            raise LoadFailed(
                f"{label}: a dumped row matches several target rows, or two dumped rows the "
                f"same one, by 'identity' ({error}). Make the identity unique on the target."
            ) from error

    def _new_pk(self, model: type[models.Model], unmatched: str = "TRUE") -> str:
        """SQL giving each staged row (``s``) a new pk of `model` past every pk in use.

        Rows written with explicit pks (earlier loads, fixtures) do not move a sequence, so
        the sequence is first moved past the table's largest pk. Sequences are not
        transactional: a plan numbers its rows past the same point instead of drawing from
        the sequence (counting, in pk order, only the rows for which `unmatched` holds, as
        the load's ``nextval()`` runs only for them), so that it leaves the sequence as it was.
        """
        meta: Any = model._meta
        table, pk = meta.db_table, meta.pk.column
        [(name,)] = self._sql("SELECT pg_get_serial_sequence(%s, %s)", [q(table), pk])
        last = (
            f"GREATEST(COALESCE(pg_sequence_last_value(%s::regclass), 1), "
            f"(SELECT COALESCE(max({q(pk)}), 1) FROM {q(table)}))"
        )
        if self.result.planned:
            [(start,)] = self._sql(f"SELECT {last}", [name])
            return (
                f"({int(start)} + count(*) FILTER (WHERE {unmatched}) "
                f"OVER (ORDER BY s.{SRC} ROWS UNBOUNDED PRECEDING))"
            )
        self._sql(f"SELECT setval(%s::regclass, {last})", [name, name])
        return "nextval('{}'::regclass)".format(str(name).replace("'", "''"))

    def check_siblings(self, label: str) -> None:
        """Refuse rows whose shared MTI parent already belongs to a sibling model."""
        model = self.labels[label]
        if self.specs[label].save_as_new:
            return
        for parent in model._meta.parents:
            for rel in parent._meta.related_objects:
                sibling = rel.related_model
                if not rel.parent_link or sibling is model:
                    continue
                other = sibling._meta.label_lower
                exclude = (
                    f" AND NOT EXISTS (SELECT 1 FROM {self.stager.table('m', other)} o "
                    "WHERE o.dst = m.dst)"
                    if other in self.labels
                    else ""
                )
                rows = self._sql(
                    f"SELECT m.dst::text FROM {self.stager.table('m', label)} m WHERE EXISTS "
                    f"(SELECT 1 FROM {q(sibling._meta.db_table)} x WHERE "
                    f"x.{pk_column(sibling)} = m.dst){exclude} ORDER BY m.dst LIMIT {SAMPLES}"
                )
                if rows:
                    pks = ", ".join(row[0] for row in rows)
                    raise LoadFailed(
                        f"The dump holds {label} rows with pks {pks}, which exist as {other} "
                        "rows on the target; loading them would make rows that are both. "
                        f"Delete those {other} rows first."
                    )

    def prepare_uniques(self, label: str) -> None:
        """Free unique values the dump moves between rows, before the upsert writes them."""
        model, spec = self.labels[label], self.specs[label]
        s, m = self.stager.table("s", label), self.stager.table("m", label)
        table, pk = q(model._meta.db_table), pk_column(model)
        sets = _unique_sets(model)
        clashing: set[str] = set()
        for fields in sets:
            on = " AND ".join(f"t.{q(f.column)} = s.{q(f.column)}" for f in fields)
            rows = self._sql(
                f"SELECT t.{pk}::text FROM {table} t JOIN {s} s ON {on} "
                f"JOIN {m} m ON m.src = s.{SRC} WHERE t.{pk} <> m.dst "
                f"AND NOT EXISTS (SELECT 1 FROM {m} x WHERE x.dst = t.{pk})"
            )
            clashing.update(row[0] for row in rows)
        deleting = [
            item for item in self.dataset.specs if item.label == label and item.delete_missing
        ]
        if clashing and deleting:
            # Rows the dump lacks that hold its unique values go before the upsert, not
            # after it, as delete_missing would (only those inside a delete_missing filter).
            queryset = model._base_manager.using(self.using).filter(pk__in=sorted(clashing))
            self.deleter.rows(queryset.filter(self.deleter.filter_q(deleting)), label)
        movable: dict[str, Any] = {name: model._meta.get_field(name) for name in spec.defer_values}
        for fields in sets:
            for field in fields:
                if not field.is_relation and (field.null or _is_text(field)):
                    movable.setdefault(field.name, field)
        for field in movable.values():
            column = q(field.column)
            temp = (
                "NULL"
                if field.null
                else (f"left('~' || md5(random()::text || t.{pk}::text), {field.max_length or 32})")
            )
            self._sql(
                f"UPDATE {table} t SET {column} = {temp} FROM {m} m JOIN {s} s ON s.{SRC} = m.src "
                f"WHERE t.{pk} = m.dst AND t.{column} IS NOT NULL "
                f"AND t.{column} IS DISTINCT FROM s.{column}"
            )

    def upsert(self, label: str) -> None:
        """Update the changed rows, then insert the new ones; count and sample both.

        Rows identical on the target are not touched. A plain INSERT of the rows the map
        found missing is cheaper than ``ON CONFLICT`` (no speculative insertion); a row
        another session inserts meanwhile makes the load fail and roll back.
        """
        model = self.labels[label]
        s, m = self.stager.table("s", label), self.stager.table("m", label)
        table, pk = q(model._meta.db_table), pk_column(model)
        joins: list[str] = []
        fields = value_fields(model)
        columns = [q(f.column) for f in fields]
        values = [self._value(f, joins) for f in fields]
        source = f"FROM {s} s JOIN {m} m ON m.src = s.{SRC} {' '.join(joins)}"
        [(total, new)] = self._sql(
            f"SELECT count(*), ARRAY(SELECT dst::text FROM {m} WHERE NOT existed ORDER BY dst "
            f"LIMIT {SAMPLES}) FROM {m}"
        )
        entry = self.result.changes(label)
        if fields:
            mine = ", ".join(f"t.{c}" for c in columns)
            differs = f"ROW({mine}) IS DISTINCT FROM ROW({', '.join(values)})"
            where = f"WHERE t.{pk} = m.dst AND m.existed AND {differs}"
            rows = self._sql(
                f"SELECT m.dst::text {source} JOIN {table} t ON t.{pk} = m.dst "
                f"WHERE m.existed AND {differs} ORDER BY m.dst LIMIT {SAMPLES}"
            )
            if rows:
                self._sample_updates(label, [row[0] for row in rows], values, source)
                assign = ", ".join(f"{c} = {v}" for c, v in zip(columns, values, strict=True))
                entry.updated = self._sql(f"UPDATE {table} t SET {assign} {source} {where}")
        entry.created = self._sql(
            f"INSERT INTO {table} ({', '.join([pk, *columns])}) "
            f"SELECT {', '.join(['m.dst', *values])} {source} WHERE NOT m.existed ORDER BY m.dst"
        )
        entry.unchanged = total - entry.created - entry.updated
        named = labels(model, list(new), self.using, self.specs[label].identity)
        entry.sample("created", list(named.values()))

    def _sample_updates(self, label: str, pks: list[str], values: list[str], source: str) -> None:
        """Sample rows about to be updated: their label now and the fields that change."""
        model = self.labels[label]
        table, pk = q(model._meta.db_table), pk_column(model)
        fields = value_fields(model)
        parts = [
            f"t.{q(f.column)} IS DISTINCT FROM {v}, t.{q(f.column)}::text, ({v})::text"
            for f, v in zip(fields, values, strict=True)
        ]
        rows = self._sql(
            f"SELECT m.dst::text, {', '.join(parts)} {source} JOIN {table} t ON t.{pk} = m.dst "
            "WHERE m.dst::text = ANY(%s) ORDER BY m.dst",
            [pks],
        )
        named = labels(model, pks, self.using, self.specs[label].identity)
        quoted = {f.name for f in fields if isinstance(f, models.CharField | models.TextField)}
        entry = self.result.changes(label)
        for row in rows:
            changes = {
                field.name: [row[3 * n + 2], row[3 * n + 3]]
                for n, field in enumerate(fields)
                if row[3 * n + 1]
            }
            entry.diffs[row[0]] = changes
            entry.sample("updated", [f"{named[row[0]]} ({describe(changes, quoted)})"])

    def sync_links(self, label: str) -> None:
        """Make each dumped row's many-to-many links exactly the dumped ones."""
        model, spec = self.labels[label], self.specs[label]
        s, m = self.stager.table("s", label), self.stager.table("m", label)
        for field in m2m_fields(model):
            related = field.related_model
            through = q(field.remote_field.through._meta.db_table)
            source, target = q(field.m2m_column_name()), q(field.m2m_reverse_name())
            kind = pk_type(related, self.connection)
            rel_label = related._meta.label_lower
            mapped = f"e.v::{kind}"
            join = ""
            if self.remapped.get(rel_label):
                join = f"LEFT JOIN {self.stager.table('m', rel_label)} r ON r.src = e.v::{kind}"
                mapped = f"COALESCE(r.dst, e.v::{kind})"
            column = m2m_column(field)
            where = ""
            if field.name in spec.ignore_missing_m2m:
                where = (
                    f"WHERE EXISTS (SELECT 1 FROM {q(related._meta.db_table)} x "
                    f"WHERE x.{pk_column(related)} = {mapped})"
                )
            links = self.stager.table(f"l{field.name}", label)
            self._sql(
                f"CREATE TEMP TABLE {links} ON COMMIT DROP AS SELECT DISTINCT m.dst AS f, "
                f"{mapped} AS t FROM {s} s JOIN {m} m ON m.src = s.{SRC} CROSS JOIN LATERAL "
                f"jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.{column}) = 'array' "
                f"THEN s.{column} ELSE '[]' END) e(v) {join} {where}"
            )
            removed = self._sql(
                f"DELETE FROM {through} th USING {s} s JOIN {m} m ON m.src = s.{SRC} "
                f"WHERE th.{source} = m.dst AND s.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {links} l WHERE l.f = th.{source} AND l.t = th.{target})"
            )
            added = self._sql(
                f"INSERT INTO {through} ({source}, {target}) SELECT f, t FROM {links} "
                "ON CONFLICT DO NOTHING"
            )
            self.result.m2m[f"{label}.{field.name}"] = {"added": added, "removed": removed}


def finish(
    connection: BaseDatabaseWrapper, models_: Iterable[type[models.Model]], plan: bool
) -> None:
    """Check the deferred constraints now and reset the sequences of the loaded tables.

    Raises:
        LoadFailed: A loaded row references a row that is neither loaded nor on the target.
    """
    with connection.cursor() as cursor:
        try:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        except DatabaseError as error:
            raise LoadFailed(
                f"The loaded rows break a constraint: {error}. A row references a row that "
                "is neither in the dump nor on the target; add its model to the dataset or "
                "use 'ignore_missing_m2m'."
            ) from error
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if plan:
            return  # setval() is not transactional: a plan must not move sequences
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(statement)


def _is_text(field: Any) -> bool:
    return isinstance(field, models.CharField | models.TextField)


def _unique_sets(model: type[models.Model]) -> list[list[Any]]:
    meta = model._meta
    sets: list[list[Any]] = [
        [field] for field in meta.local_concrete_fields if field.unique and not field.primary_key
    ]
    for names in meta.unique_together:
        sets.append([meta.get_field(name) for name in names])
    for constraint in meta.total_unique_constraints:
        sets.append([meta.get_field(name) for name in constraint.fields])
    return sets
