"""Loading dumps: refused before any write unless whole, untampered, allowed and in scope."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from tidemark_core import advisory_lock, history_context, require_postgresql
from tidemark_core import quote_identifier as q

from . import conf, scope, signing
from .columns import m2m_fields
from .datasets import Dataset
from .deleting import Budget, Deleter
from .engine import Engine, finish
from .exceptions import InvalidDump, LoadFailed
from .preflight import Requested, check_migrations, check_specs, target_dataset
from .reader import Dump, Source, open_dump
from .report import LoadResult
from .signing import check_signature, checksum, new_digest
from .staging import Progress, Stager

LOAD_LOCK = "tidemark_data_sync.load"
"""The advisory lock serialising loads into one database."""

_prefixes = itertools.count()


@dataclass
class Options:
    """How one load runs (see `load`)."""

    using: str = DEFAULT_DB_ALIAS
    plan: bool = False
    max_delete: int | None = None
    ignorenonexistent: bool = False
    progress: Progress | None = None


@dataclass
class _Part:
    """One dump of a load, from its manifest to its writes."""

    dump: Dump
    dataset: Dataset
    result: LoadResult
    stager: Stager = field(init=False)


def load(
    source: Source,
    *,
    using: str = DEFAULT_DB_ALIAS,
    plan: bool = False,
    max_delete: int | None = None,
    ignorenonexistent: bool = False,
    dataset: Requested = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load a dump into the database `using`, all or nothing.

    Before anything is written: the signature is verified (when signing keys are set),
    the dump's specs are compared with this project's own definition of the dataset, the
    target's migrations with the source's, and (once the objects are staged in temporary
    tables) the counts and the SHA-256 over the objects and the manifest; every value must
    fit its column exactly and every row appear once. Then one transaction upserts every
    model, syncs many-to-many links, checks that every row of the dump lies inside the
    dataset's filters on this database (before and after), deletes what the
    ``delete_missing`` specs' filters hold on the target and the dump lacks (reverse spec
    order, cascades honoured), checks the deferred constraints and resets sequences.

    Args:
        source: A path, an open file (text or binary) or an iterable of lines.
        using: The target database alias.
        plan: Compute every count and sample, then roll back: nothing is kept.
        max_delete: Abort (changing nothing) when more rows would be deleted.
        ignorenonexistent: Skip fields this project's models do not have.
        dataset: ``"NAME[:ARGS]"`` (required for a dump that names no dataset, checked
            against the manifest otherwise), or a list of specs: the rows this load may
            touch, for a dump of ad-hoc specs.
        progress: Called as ``progress(step, done, total)`` while reading.

    Returns:
        What changed (or, for a plan, would change).

    Raises:
        InvalidDump: The file is garbled, truncated, tampered with, holds a value that
            does not fit its column or a row twice, or names a model outside the dataset.
        SignatureError: The signature is wrong, or missing where it is required.
        OutsideScope: A row of the dump lies outside the dataset on this database.
        DatasetMismatch: The dump's specs differ from this project's definition.
        InvalidArguments: The dataset's spec function refused the dump's arguments.
        MissingMigrations: The target lacks migrations the source had.
        TooManyDeletions: More than `max_delete` rows would be deleted.
        LoadFailed: The database rejected the data.
    """
    options = Options(using, plan, max_delete, ignorenonexistent, progress)
    [result] = run([source], options, dataset)
    return result


def load_many(
    sources: Sequence[Source],
    *,
    using: str = DEFAULT_DB_ALIAS,
    plan: bool = False,
    max_delete: int | None = None,
    ignorenonexistent: bool = False,
    dataset: Requested = None,
    progress: Progress | None = None,
) -> list[LoadResult]:
    """Load several dumps in order, in one transaction: all of them or nothing.

    Every dump gets every check of `load` (all of them are read and checked before the
    first is written); `max_delete` counts the deletions of all of them together.

    Args:
        sources: The dumps, in the order they are applied.
        using: The target database alias.
        plan: Compute every count and sample, then roll back.
        max_delete: Abort (changing nothing) when more rows would be deleted in all.
        ignorenonexistent: Skip fields this project's models do not have.
        dataset: As for `load`, for every dump.
        progress: Called as ``progress(step, done, total)`` while reading.

    Returns:
        One result per dump, in order.
    """
    options = Options(using, plan, max_delete, ignorenonexistent, progress)
    return run(sources, options, dataset)


def plan(source: Source, **options: Any) -> LoadResult:
    """What `load()` with the same options would change, without keeping anything."""
    return load(source, plan=True, **options)


def run(
    sources: Iterable[Source],
    options: Options,
    dataset: Requested,
    *,
    trust: bool = False,
    context: dict[str, Any] | None = None,
) -> list[LoadResult]:
    """Load `sources` in one transaction (what `load`, `load_many`, `sync` share).

    Args:
        sources: The dumps.
        options: How to load them.
        dataset: What they may touch (see `load`).
        trust: Take a dump's own specs when it names no dataset and `dataset` is None.
        context: The history context of the load (default: ``load_dataset``'s).
    """
    using = options.using
    require_postgresql(using, feature="load_dataset")
    keys = signing.settings()
    parts = [_open(source, dataset, options, trust, keys) for source in sources]
    if context is None:
        context = {"command": "load_dataset", "database": using, **_named(parts)}
    budget = Budget(options.max_delete)
    try:
        with (
            advisory_lock(LOAD_LOCK, using=using, timeout=conf.lock_timeout()),
            history_context(**context),
            transaction.atomic(using=using),
        ):
            for part in parts:
                _stage(part, options)
            with connections[using].cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for part in parts:
                _apply(part, budget)
            models = {m for part in parts for m in part.stager.labels.values()}
            finish(connections[using], models, options.plan)
            with connections[using].cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {_tables(parts)}")
            if options.plan:
                transaction.set_rollback(True, using=using)
    except DatabaseError as error:
        raise LoadFailed(f"The database {using!r} rejected the dump: {error}") from error
    return [part.result for part in parts]


def _named(parts: list[_Part]) -> dict[str, Any]:
    if len(parts) == 1:
        return {"dataset": parts[0].dataset.name, "args": parts[0].dataset.args}
    return {"datasets": [part.dataset.title for part in parts]}


def _open(
    source: Source,
    requested: Requested,
    options: Options,
    trust: bool,
    keys: tuple[tuple[str, ...], bool],
) -> _Part:
    """Read the manifest and make every check that needs no object line."""
    dump = open_dump(source)
    signature = check_signature(None if dump.legacy else dump.manifest, *keys)
    target = target_dataset(dump, requested, options.using, trust=trust)
    check_specs(dump.manifest["specs"], target)
    if not dump.legacy:
        check_migrations(dump.manifest["migrations"], options.using)
    result = LoadResult(
        target.name, target.args, options.using, planned=options.plan, signature=signature
    )
    return _Part(dump, target, result)


def _stage(part: _Part, options: Options) -> None:
    """Copy the object lines into temporary tables and check them whole."""
    labels = {model._meta.label_lower: model for model in part.dataset.models}
    stager = part.stager = Stager(
        connections[options.using],
        f"tm_{next(_prefixes)}",
        labels,
        ignorenonexistent=options.ignorenonexistent,
        progress=options.progress,
    )
    manifest = part.dump.manifest
    counts = None if part.dump.legacy else manifest["counts"]
    digest = new_digest()
    stager.copy(part.dump, digest, sum(counts.values()) if counts else None)
    if counts is not None:
        expected = {label: counts.get(label, 0) for label in labels}
        if stager.counts != expected or set(counts) - set(labels):
            raise InvalidDump(
                f"The dump is truncated or altered: its manifest counts {counts}, "
                f"the file holds {stager.counts}."
            )
        if checksum(digest, manifest) != manifest["sha256"]:
            raise InvalidDump(
                "The dump's checksum does not match its manifest: the file was altered or "
                "damaged after it was written. Nothing was loaded."
            )
    for label in labels:
        part.result.changes(label)
        stager.split(label)
    identities = {spec.label: spec for spec in part.dataset.specs if spec.identity}
    for label, spec in identities.items():
        fields: list[Any] = [spec.model._meta.get_field(name) for name in spec.identity]
        what = f"the same identity ({', '.join(spec.identity)})"
        stager.require_unique(label, [q(field.column) for field in fields], what)


def _apply(part: _Part, budget: Budget) -> None:
    """Write one staged dump: maps, scope, upserts, links, scope again, deletions."""
    stager, labels = part.stager, part.stager.labels
    deleter = Deleter(stager, part.result, budget)
    engine = Engine(stager, part.dataset, part.result, deleter)
    for label in engine.order():
        engine.build_map(label)
    for label in labels:
        scope.check(engine, label, before=True)
        engine.check_siblings(label)
    for label in labels:
        engine.prepare_uniques(label)
        engine.upsert(label)
    for label in labels:
        engine.sync_links(label)
    for label in labels:
        scope.check(engine, label, before=False)
    for spec in reversed(part.dataset.specs):
        if spec.delete_missing:
            deleter.missing(spec)


def _tables(parts: list[_Part]) -> str:
    names = []
    for part in parts:
        stager = part.stager
        names.append(stager.table("raw"))
        for label, model in stager.labels.items():
            names += [stager.table("s", label), stager.table("m", label)]
            names += [stager.table(f"l{field.name}", label) for field in m2m_fields(model)]
    return ", ".join(names)
