"""Deleting what a dump lacks: inside the receiver's filters only, through Django's collector."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.db.models.expressions import RawSQL

from tidemark_core import quote_identifier as q

from .columns import pk_column
from .exceptions import LoadFailed, TooManyDeletions
from .report import SAMPLES, LoadResult
from .samples import label_of
from .specs import Spec
from .staging import Stager


@dataclass
class Budget:
    """How many rows one load (of one or several dumps) may delete, and has deleted."""

    limit: int | None
    used: int = 0


class Deleter:
    """Deletes target rows for one dump, counting and sampling them against the budget.

    Args:
        stager: The staging of this dump (its pk maps).
        result: Collects the counts and samples.
        budget: The load's ``max_delete`` and the rows deleted so far.
    """

    def __init__(self, stager: Stager, result: LoadResult, budget: Budget) -> None:
        self.stager = stager
        self.using = str(stager.connection.alias)
        self.result = result
        self.budget = budget

    def filter_q(self, specs: list[Spec]) -> models.Q:
        """The specs' filters ORed, with ``delete_missing`` maps applied."""
        return reduce(or_, (models.Q(**self._mapped_filter(spec)) for spec in specs))

    def _mapped_filter(self, spec: Spec) -> dict[str, Any]:
        lookups = dict(spec.filter)
        for key, target in spec.delete_map:
            value = lookups[key]
            values = list(value) if isinstance(value, list | tuple | set) else [value]
            rows = self.stager.sql(
                f"SELECT src::text, dst FROM {self.stager.table('m', target)} "
                "WHERE src::text = ANY(%s)",
                [[str(v) for v in values]],
            )
            found = dict(rows)
            new = [found[str(v)] for v in values if str(v) in found]
            lookups[key] = new if isinstance(value, list | tuple | set) else (new or [None])[0]
        return lookups

    def missing(self, spec: Spec) -> None:
        """Delete target rows inside the spec's filter that the dump lacks, with cascades."""
        model = spec.model
        lookups = self._mapped_filter(spec)
        if any(lookups[key] in (None, []) for key, _ in spec.delete_map):
            return
        queryset = model._base_manager.using(self.using).filter(**lookups)
        # NOT EXISTS is an anti-join; NOT IN degrades to a quadratic scan once the map
        # outgrows work_mem.
        table, pk = q(model._meta.db_table), pk_column(model)
        missing = RawSQL(
            f"NOT EXISTS (SELECT 1 FROM {self.stager.table('m', spec.label)} x "
            f"WHERE x.dst = {table}.{pk})",
            (),
            output_field=models.BooleanField(),
        )
        self.rows(queryset.filter(missing), spec.label)

    def rows(self, queryset: models.QuerySet[Any], label: str) -> None:
        """Delete through Django's collector (cascades honoured) after counting and sampling."""
        collector = Collector(using=self.using, origin=queryset)
        try:
            collector.collect(queryset)
        except (ProtectedError, RestrictedError) as error:
            blockers = ", ".join(
                f"{obj._meta.label_lower} {obj.pk}" for obj in list(error.args[1])[:SAMPLES]
            )
            raise LoadFailed(
                f"Deleting {label} rows the dump lacks is blocked by protected references "
                f"from {blockers}. Include those rows in the dataset, or delete them first."
            ) from None
        counts: dict[str, int] = defaultdict(int)
        samples: dict[str, list[str]] = defaultdict(list)
        for model, instances in collector.data.items():
            key = model._meta.label_lower
            counts[key] += len(instances)
            samples[key] += [label_of(obj) for obj in sorted(instances, key=_pk)[:SAMPLES]]
        for fast in collector.fast_deletes:
            if fast.model._meta.auto_created:
                continue
            key = fast.model._meta.label_lower
            count = fast.count()
            counts[key] += count
            if count:
                samples[key] += [label_of(obj) for obj in fast.order_by("pk")[:SAMPLES]]
        total = sum(counts.values())
        limit = self.budget.limit
        if limit is not None and self.budget.used + total > limit:
            raise TooManyDeletions(
                f"The load would delete more than {limit} rows "
                f"({self.budget.used + total} so far, {label} and cascades); nothing was "
                "changed. Check the plan (--plan) and raise --max-delete if that is intended."
            )
        self.budget.used += total
        for key, count in counts.items():
            if not count and key != label:
                continue  # a cascade that finds nothing is no news
            entry = self.result.changes(key)
            kind = "deleted" if key == label else "cascaded"
            setattr(entry, kind, getattr(entry, kind) + count)
            entry.sample(kind, samples[key])
        if total:
            collector.delete()


def _pk(obj: models.Model) -> Any:
    return obj.pk
