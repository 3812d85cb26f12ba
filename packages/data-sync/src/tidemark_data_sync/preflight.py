"""What a load checks before it writes: the dump's dataset, specs and source migrations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tidemark_core import applied_migrations

from .datasets import Dataset, get_dataset, parse_name, resolve
from .exceptions import DatasetMismatch, InvalidDump, MissingMigrations
from .reader import Dump
from .specs import SPEC_KEYS, unknown_keys

Requested = str | Dataset | Iterable[Mapping[str, Any]] | None
"""What the caller says the dump holds: ``"NAME[:ARGS]"``, a `Dataset`, specs, or nothing."""


def target_dataset(dump: Dump, requested: Requested, using: str, *, trust: bool) -> Dataset:
    """The receiver's own definition of what `dump` may touch.

    Args:
        dump: The opened dump.
        requested: The dataset the caller names (checked against a dump that names one),
            or specs given in Python (the receiver's scope for this load).
        using: The target database alias.
        trust: For a dump that names no dataset and no `requested`: use the dump's own
            specs (feincms3-data's ``load_dump(data)``) instead of refusing it.

    Raises:
        DatasetMismatch: The dump names another dataset, or names none and nothing says
            what it may touch.
    """
    if requested is not None and not isinstance(requested, str):
        return resolve(requested, using=using)
    if not dump.legacy and dump.manifest["dataset"]:
        name, args = dump.manifest["dataset"], dump.manifest["args"]
        if requested is not None and parse_name(requested) != (name, args):
            raise DatasetMismatch(
                f"The dump holds dataset {name}:{args}, not {requested}; nothing was loaded."
            )
        return get_dataset(name, args, using=using)
    if requested is not None:
        return get_dataset(*parse_name(requested), using=using)
    if trust:
        check_file_specs(dump.manifest["specs"])
        return resolve(dump.manifest["specs"], using=using)
    kind = "A feincms3-data dump" if dump.legacy else "A dump of ad-hoc specs"
    raise DatasetMismatch(
        f"{kind} names no dataset: pass the dataset it holds (--dataset NAME[:ARGS], or "
        "dataset=... in Python) so its specs can be checked against this project's."
    )


def check_file_specs(file_specs: list[Any]) -> list[dict[str, Any]]:
    """The dump's specs as comparable flags; a malformed spec or an unknown key is refused."""
    return [_file_flags(number, spec) for number, spec in enumerate(file_specs, 1)]


def _file_flags(number: int, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not isinstance(spec.get("model"), str):
        raise InvalidDump(f"The dump holds a malformed spec: {spec!r}.")
    unknown = unknown_keys(spec)
    if unknown:
        raise InvalidDump(
            f"The dump's spec {number} ({spec['model']}) has unknown keys {unknown}; a spec "
            f"has only {', '.join(sorted(SPEC_KEYS))}. Nothing was loaded."
        )
    delete = spec.get("delete_missing", False)
    if isinstance(delete, dict):
        try:
            delete = {"map": [[str(k), str(m).lower()] for k, m in delete.get("map", [])]}
        except (TypeError, ValueError):
            raise InvalidDump(
                f"The dump's spec {number} has a malformed 'delete_missing'."
            ) from None

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


def check_specs(file_specs: list[Any], target: Dataset) -> None:
    """Refuse a dump whose specs are not exactly the target's own (models and flags)."""
    theirs = check_file_specs(file_specs)
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
    what = f"dataset {target.title!r}" if target.name else "the specs given"
    raise DatasetMismatch(
        f"The dump's specs do not match this project's definition of {what}: {difference}. "
        "A dump may only touch what the receiving project allows; nothing was loaded."
    )


def check_migrations(source: dict[str, list[str]], using: str) -> None:
    """Refuse a target that lacks a migration the dump's source had applied."""
    applied = applied_migrations(using)
    missing = [(app, name) for app, names in sorted(source.items()) for name in names]
    missing = [key for key in missing if key not in applied]
    if missing:
        raise MissingMigrations(missing, using)
