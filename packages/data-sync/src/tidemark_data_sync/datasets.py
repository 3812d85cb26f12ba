"""Datasets: the project's named sets of specs (``TIDEMARK_DATA_SYNC_DATASETS``) and ad-hoc ones."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model, Q, QuerySet
from django.utils.module_loading import import_string

from . import conf
from .exceptions import InvalidArguments, InvalidSpec, UnknownDataset
from .routing import database
from .specs import Mappers, Spec, normalize_specs


@dataclass(frozen=True)
class Dataset:
    """A resolved dataset: its name, arguments, validated specs and mappers.

    A dataset made of specs given in Python (not registered) has the name ``""``.
    """

    name: str
    args: str
    specs: list[Spec]
    mappers: Mappers

    @property
    def models(self) -> list[type[Model]]:
        """The models of the specs, each once, in spec order."""
        return list(dict.fromkeys(spec.model for spec in self.specs))

    @property
    def title(self) -> str:
        """``NAME:ARGS`` (``NAME`` without arguments), or "ad-hoc specs"."""
        if not self.name:
            return "ad-hoc specs"
        return f"{self.name}:{self.args}" if self.args else self.name

    def select(self, model: type[Model], using: str) -> QuerySet[Any] | None:
        """The rows of `model` this dataset's specs select on `using` (their filters ORed).

        Returns:
            The queryset, ordered by nothing; None when a spec of `model` has no filter
            (every row); an empty queryset when the filters select nothing.
        """
        filters = [spec.filter for spec in self.specs if spec.model is model]
        if not all(filters):
            return None
        queryset = model._base_manager.using(using).order_by()
        return queryset.filter(reduce(or_, (Q(**lookups) for lookups in filters)))


def datasets() -> dict[str, Any]:
    """The project's datasets: ``TIDEMARK_DATA_SYNC_DATASETS`` imported and called.

    Raises:
        UnknownDataset: The setting is missing or does not name a callable returning a dict.
    """
    path = conf.datasets_path()
    if not path:
        raise UnknownDataset(
            f"No datasets are defined: set {conf.DATASETS_SETTING} to the dotted path of a "
            "callable returning {name: {'specs': callable(args) -> [spec, ...]}}."
        )
    try:
        factory = import_string(path)
    except ImportError as error:
        raise UnknownDataset(
            f"{conf.DATASETS_SETTING}={path!r} cannot be imported: {error}"
        ) from None
    result = factory()
    if not isinstance(result, Mapping):
        raise UnknownDataset(
            f"{path}() must return a dict of datasets, not {type(result).__name__}."
        )
    return dict(result)


def parse_name(name_args: str) -> tuple[str, str]:
    """Split ``"NAME:ARGS"`` into its name and argument string."""
    name, _sep, args = name_args.partition(":")
    return name, args


def get_dataset(name: str, args: str = "", *, using: str = DEFAULT_DB_ALIAS) -> Dataset:
    """Resolve the dataset `name` with `args` into validated specs.

    The dataset's spec function runs with `using` as the database of every ORM query that
    names none, so that it sees the database being dumped from or loaded into.

    Args:
        name: The dataset's name in ``TIDEMARK_DATA_SYNC_DATASETS``.
        args: The argument string passed to its spec function.
        using: The database alias being dumped from or loaded into.

    Raises:
        UnknownDataset: No such dataset (the message lists the defined ones).
        InvalidArguments: The spec function refused `args` (raised `ValueError` or
            `TypeError`, e.g. ``int("abc")``).
        InvalidSpec: The definition or one of its specs is invalid.
    """
    defined = datasets()
    if name not in defined:
        raise UnknownDataset(
            f"Unknown dataset {name!r}; defined: {', '.join(sorted(defined)) or 'none'}."
        )
    entry = defined[name]
    specs = entry.get("specs") if isinstance(entry, Mapping) else None
    if not callable(specs) and not isinstance(specs, list | tuple):
        raise InvalidSpec(f"Dataset {name!r} must be a dict with a callable 'specs' (or a list).")
    mappers = entry.get("mappers") or {}
    if not isinstance(mappers, Mapping) or not all(callable(m) for m in mappers.values()):
        raise InvalidSpec(f"Dataset {name!r}: 'mappers' must map model labels to callables.")
    if not callable(specs) and args:
        raise InvalidArguments(
            f"Dataset {name!r} is a fixed list of specs and takes no arguments; got {args!r}."
        )
    with database(using):
        try:
            listed = specs(args) if callable(specs) else specs
        except (ValueError, TypeError) as error:
            raise InvalidArguments(
                f"Dataset {name!r} refused the arguments {args!r}: {error}. "
                f"Pass them as {name}:ARGS in the form the dataset expects."
            ) from error
        return Dataset(name, args, normalize_specs(listed), mappers)


def resolve(
    dataset: str | Dataset | Iterable[Mapping[str, Any]],
    *,
    using: str = DEFAULT_DB_ALIAS,
    mappers: Mappers | None = None,
) -> Dataset:
    """A `Dataset` from ``"NAME[:ARGS]"``, a resolved `Dataset`, or a list of specs.

    Args:
        dataset: What to resolve.
        using: The database alias the dataset is resolved for (see `get_dataset`).
        mappers: For a list of specs: the mappers applied when dumping.
    """
    if isinstance(dataset, Dataset):
        return dataset
    if isinstance(dataset, str):
        return get_dataset(*parse_name(dataset), using=using)
    with database(using):
        return Dataset("", "", normalize_specs(dataset), dict(mappers or {}))
