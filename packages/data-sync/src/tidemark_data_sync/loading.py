"""Loading a dump: refused before any write unless it is whole, untampered and allowed."""

from __future__ import annotations

import itertools
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from tidemark_core import advisory_lock, applied_migrations, history_context, require_postgresql

from . import conf
from .columns import m2m_fields
from .engine import Engine
from .exceptions import DatasetMismatch, InvalidDump, LoadFailed, MissingMigrations
from .reader import Dump, Source, open_dump
from .report import LoadResult
from .specs import Dataset, get_dataset, parse_name
from .staging import Progress, Stager

LOAD_LOCK = "tidemark_data_sync.load"
"""The advisory lock serialising loads into one database."""

_prefixes = itertools.count()


def load(
    source: Source,
    *,
    using: str = DEFAULT_DB_ALIAS,
    plan: bool = False,
    max_delete: int | None = None,
    ignorenonexistent: bool = False,
    dataset: str | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a dump into the database `using`, all or nothing.

    Before anything is written the dump's specs are compared with this project's own
    definition of the dataset, the target's migrations with the source's, and (once the
    objects are staged in temporary tables) the counts and SHA-256 with the manifest. Then
    one transaction upserts every model, syncs many-to-many links, deletes what the
    ``delete_missing`` specs' filters hold on the target and the dump lacks (reverse spec
    order, cascades honoured), checks the deferred constraints and resets sequences.

    Args:
        source: A path, an open file (text or binary) or an iterable of lines.
        using: The target database alias.
        plan: Compute every count and sample, then roll back: nothing is kept.
        max_delete: Abort (changing nothing) when more rows would be deleted.
        ignorenonexistent: Skip fields this project's models do not have.
        dataset: ``"NAME[:ARGS]"``; required for a feincms3-data dump (which names none),
            and checked against the manifest otherwise.
        progress: Called as ``progress(step, done, total)`` while reading.

    Returns:
        What changed (or, for a plan, would change).

    Raises:
        InvalidDump: The file is garbled, truncated, tampered with or names a model
            outside the dataset.
        DatasetMismatch: The dump's specs differ from this project's definition.
        MissingMigrations: The target lacks migrations the source had.
        TooManyDeletions: More than `max_delete` rows would be deleted.
        LoadFailed: The database rejected the data.
    """
    require_postgresql(using, feature="load_dataset")
    dump = open_dump(source)
    target = _target_dataset(dump, dataset)
    _check_specs(dump.manifest["specs"], target)
    if not dump.legacy:
        _check_migrations(dump.manifest["migrations"], using)
    result = LoadResult(target.name, target.args, using, planned=plan)
    try:
        with (
            advisory_lock(LOAD_LOCK, using=using, timeout=conf.lock_timeout()),
            history_context(command="load_dataset", dataset=target.name, args=target.args),
            transaction.atomic(using=using),
        ):
            _run(dump, target, result, using, max_delete, ignorenonexistent, progress)
            if plan:
                transaction.set_rollback(True, using=using)
    except DatabaseError as error:
        raise LoadFailed(f"The database {using!r} rejected the dump: {error}") from error
    return result


def plan(source: Source, **options: Any) -> LoadResult:
    """What `load()` with the same options would change, without keeping anything."""
    return load(source, plan=True, **options)


def _target_dataset(dump: Dump, name_args: str | None) -> Dataset:
    if dump.legacy:
        if not name_args:
            raise DatasetMismatch(
                "A feincms3-data dump names no dataset: pass the dataset it was dumped from "
                "(--dataset NAME[:ARGS]) so its specs can be checked against this project's."
            )
        return get_dataset(*parse_name(name_args))
    name, args = dump.manifest["dataset"], dump.manifest["args"]
    if name_args is not None and parse_name(name_args) != (name, args):
        raise DatasetMismatch(
            f"The dump holds dataset {name}:{args}, not {name_args}; nothing was loaded."
        )
    return get_dataset(name, args)


def _file_flags(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("model"), str):
        raise InvalidDump(f"The dump holds a malformed spec: {spec!r}.")
    delete = spec.get("delete_missing", False)
    if isinstance(delete, dict):
        delete = {"map": [[str(k), str(m).lower()] for k, m in delete.get("map", [])]}

    def names(key: str) -> list[str]:
        value = spec.get(key) or []
        return [value] if isinstance(value, str) else [str(item) for item in value]

    return {
        "model": spec["model"].lower(),
        "delete_missing": delete,
        "ignore_missing_m2m": sorted(names("ignore_missing_m2m")),
        "save_as_new": spec.get("save_as_new", False),
        "defer_values": sorted(names("defer_values")),
        "identity": names("identity"),
    }


def _check_specs(file_specs: list[Any], target: Dataset) -> None:
    """Refuse a dump whose specs are not exactly the target's own (models and flags)."""
    theirs = [_file_flags(spec) for spec in file_specs]
    ours = [spec.flags() for spec in target.specs]
    if theirs == ours:
        return
    if len(theirs) != len(ours):
        difference = (
            f"the dump has {len(theirs)} specs ({', '.join(s['model'] for s in theirs)}), "
            f"this project {len(ours)} ({', '.join(s['model'] for s in ours)})"
        )
    else:
        number, mine, other = next(
            (i, a, b) for i, (a, b) in enumerate(zip(ours, theirs, strict=True), 1) if a != b
        )
        keys = [key for key in mine if mine[key] != other.get(key)]
        difference = f"spec {number} differs in {', '.join(keys)}: dump {other}, project {mine}"
    raise DatasetMismatch(
        f"The dump's specs do not match this project's definition of dataset "
        f"{target.name!r}: {difference}. A dump may only touch what the receiving project "
        "allows; nothing was loaded."
    )


def _check_migrations(source: dict[str, list[str]], using: str) -> None:
    applied = applied_migrations(using)
    missing = [(app, name) for app, names in sorted(source.items()) for name in names]
    missing = [key for key in missing if key not in applied]
    if missing:
        raise MissingMigrations(missing, using)


def _run(
    dump: Dump,
    dataset: Dataset,
    result: LoadResult,
    using: str,
    max_delete: int | None,
    ignorenonexistent: bool,
    progress: Progress | None,
) -> None:
    connection = connections[using]
    labels = {model._meta.label_lower: model for model in dataset.models}
    stager = Stager(
        connection,
        f"tm_{next(_prefixes)}",
        labels,
        ignorenonexistent=ignorenonexistent,
        progress=progress,
    )
    counts = None if dump.legacy else dump.manifest["counts"]
    digest = stager.copy(dump, sum(counts.values()) if counts else None)
    if counts is not None:
        expected = {label: counts.get(label, 0) for label in labels}
        if stager.counts != expected or set(counts) - set(labels):
            raise InvalidDump(
                f"The dump is truncated or altered: its manifest counts {counts}, "
                f"the file holds {stager.counts}."
            )
        if digest != dump.manifest["sha256"]:
            raise InvalidDump(
                "The dump's checksum does not match its manifest: the file was altered or "
                "damaged after it was written. Nothing was loaded."
            )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    engine = Engine(stager, dataset, result, max_delete)
    for label in labels:
        result.changes(label)
        stager.split(label)
    for label in engine.order():
        engine.build_map(label)
    for label in labels:
        engine.check_siblings(label)
    for label in labels:
        engine.prepare_uniques(label)
        engine.upsert(label)
    for label in labels:
        engine.sync_links(label)
    for spec in reversed(dataset.specs):
        if spec.delete_missing:
            engine.delete_missing(spec)
    engine.finish()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_tables(stager)}")


def _tables(stager: Stager) -> str:
    names = [stager.table("raw")]
    for label, model in stager.labels.items():
        names += [stager.table("s", label), stager.table("m", label)]
        names += [stager.table(f"l{field.name}", label) for field in m2m_fields(model)]
    return ", ".join(names)
