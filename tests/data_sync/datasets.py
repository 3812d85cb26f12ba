"""The datasets of the data-sync suite (TIDEMARK_DATA_SYNC_DATASETS points here)."""

from __future__ import annotations

from typing import Any

from tests.data_sync.testapp.models import (
    Author,
    Book,
    Kind,
    Page,
    Place,
    Product,
    Section,
    Thing,
)
from tidemark_data_sync import specs_for_app_models, specs_for_derived_models, specs_for_models

# Tests swap entries in and out of this dict to define datasets of their own.
EXTRA: dict[str, Any] = {}


def catalog(args: str) -> list[dict[str, Any]]:
    """Categories by slug (all without args), their products and the products' notes."""
    slugs = args.split(",") if args else None
    category_filter = {"slug__in": slugs} if slugs else {}
    product_filter = {"category__slug__in": slugs} if slugs else {}
    return [
        {"model": "testapp.tag"},
        {"model": "testapp.category", "filter": category_filter, "delete_missing": True},
        {
            "model": "testapp.product",
            "filter": product_filter,
            "delete_missing": True,
        },
    ]


def pages(args: str) -> list[dict[str, Any]]:
    """One page tree (the root's pk as args) copied as new rows."""
    root = int(args)
    return [
        *specs_for_models([Page], {"filter": {"pk": root}, "save_as_new": True}),
        *specs_for_models([Page], {"filter": {"parent": root}, "save_as_new": True}),
        {
            "model": "testapp.section",
            "filter": {"page__in": [root]},
            "save_as_new": True,
            "delete_missing": {"map": [("page__in", "testapp.page")]},
        },
    ]


def numbered(args: str) -> list[dict[str, Any]]:
    """Categories by pk: ``numbered:1,2,3`` (the pks must be whole numbers)."""
    pks = [int(arg) for arg in args.split(",") if arg]
    return [{"model": "testapp.category", "filter": {"pk__in": pks}, "delete_missing": True}]


def named(args: str) -> list[dict[str, Any]]:
    """The products called `args`, looked up when the specs are made: on whichever database
    the dataset is dumped from or loaded into."""
    pks = list(Product.objects.filter(name=args).values_list("pk", flat=True))
    return [{"model": "testapp.product", "filter": {"pk__in": pks}, "delete_missing": True}]


def datasets() -> dict[str, Any]:
    return {
        "numbered": {"specs": numbered},
        # feincms3-data's test suite defines its dataset as a list, not a function.
        "f3app": {"specs": specs_for_app_models("f3app")},
        "named": {"specs": named},
        "catalog": {"specs": catalog},
        "places": {
            "specs": lambda args: [
                {"model": "testapp.place", "delete_missing": True},
                *specs_for_derived_models(Place, {"delete_missing": True}),
            ]
        },
        "library": {
            "specs": lambda args: specs_for_models([Author, Book], {"delete_missing": True})
        },
        "kinds": {
            "specs": lambda args: [
                *specs_for_models([Kind], {"identity": ["app", "name"]}),
                *specs_for_models([Thing], {"delete_missing": True}),
            ]
        },
        "pages": {"specs": pages},
        "sections": {"specs": lambda args: specs_for_models([Section])},
        **EXTRA,
    }
