"""Datasets and specs: the helpers, validation with clear errors, lazy resolution."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from tests.data_sync.testapp.models import Bar, Category, Place, Pub, Restaurant
from tidemark_data_sync import (
    InvalidArguments,
    InvalidSpec,
    UnknownDataset,
    get_dataset,
    specs_for_app_models,
    specs_for_derived_models,
    specs_for_models,
)
from tidemark_data_sync.specs import normalize_specs


def test_helpers_build_feincms3_data_style_specs() -> None:
    assert specs_for_models([Category], {"delete_missing": True}) == [
        {"delete_missing": True, "model": "testapp.category"}
    ]
    assert [s["model"] for s in specs_for_derived_models(Place)] == [
        Restaurant._meta.label_lower,
        Bar._meta.label_lower,
        Pub._meta.label_lower,
    ]
    assert "testapp.kind" in [s["model"] for s in specs_for_app_models("testapp")]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"filter": {}}, "has no 'model' key"),
        ({"model": "testapp.category", "colour": 1}, r"unknown keys \['colour'\]"),
        ({"model": "testapp.nothing"}, "not installed"),
        ({"model": "testapp.category", "filter": {"colour": 1}}, "invalid filter"),
        ({"model": "testapp.category", "filter": [1]}, "must be a dict of lookups"),
        ({"model": "testapp.category", "delete_missing": "yes"}, "must be True, False"),
        ({"model": "testapp.category", "delete_missing": {"x": 1}}, "is True or"),
        (
            {
                "model": "testapp.section",
                "filter": {"page": 1},
                "delete_missing": {"map": [("pk", "testapp.page")]},
            },
            "must be in the filter",
        ),
        ({"model": "testapp.product", "ignore_missing_m2m": ["name"]}, "not a m2m field"),
        ({"model": "testapp.category", "defer_values": ["nope"]}, "has no field 'nope'"),
        ({"model": "testapp.product", "defer_values": ["price"]}, "text or nullable"),
        ({"model": "testapp.category", "identity": 3}, "field name or a list"),
        ({"model": "testapp.category", "identity": ["id"]}, "non-pk column"),
        ({"model": "testapp.category", "save_as_new": 1}, "True or False"),
        ({"model": "testapp.kind", "save_as_new": True, "identity": ["app"]}, "exclude each other"),
        ("testapp.category", "must be a dict"),
    ],
)
def test_invalid_specs_are_refused_with_a_clear_message(spec: Any, message: str) -> None:
    with pytest.raises(InvalidSpec, match=message):
        normalize_specs([spec])


def test_a_model_in_several_specs_must_load_one_way() -> None:
    with pytest.raises(InvalidSpec, match="several specs"):
        normalize_specs([{"model": "testapp.page"}, {"model": "testapp.page", "save_as_new": True}])
    with pytest.raises(InvalidSpec, match="not a 'save_as_new' model"):
        normalize_specs(
            [
                {
                    "model": "testapp.section",
                    "filter": {"page__in": [1]},
                    "delete_missing": {"map": [("page__in", "testapp.page")]},
                },
            ]
        )
    with pytest.raises(InvalidSpec, match="must be a list"):
        normalize_specs({"model": "testapp.page"})  # type: ignore[arg-type]


def test_datasets_resolve_lazily_with_clear_errors() -> None:
    assert [s.label for s in get_dataset("catalog", "books").specs] == [
        "testapp.tag",
        "testapp.category",
        "testapp.product",
    ]
    with pytest.raises(UnknownDataset, match="Unknown dataset 'nope'; defined: catalog"):
        get_dataset("nope")
    with (
        override_settings(TIDEMARK_DATA_SYNC_DATASETS=None),
        pytest.raises(UnknownDataset, match="No datasets are defined"),
    ):
        get_dataset("catalog")
    with (
        override_settings(TIDEMARK_DATA_SYNC_DATASETS="tests.nowhere.datasets"),
        pytest.raises(UnknownDataset, match="cannot be imported"),
    ):
        get_dataset("catalog")
    with (
        override_settings(TIDEMARK_DATA_SYNC_DATASETS="builtins.list"),
        pytest.raises(UnknownDataset, match="must return a dict"),
    ):
        get_dataset("catalog")


def test_malformed_dataset_entries_are_refused() -> None:
    from tests.data_sync import datasets

    datasets.EXTRA.update(
        {
            "flat": {"specs": "testapp.tag"},
            "mapped": {"specs": lambda a: [], "mappers": {"x": 1}},
            "fixed": {"specs": [{"model": "testapp.tag"}]},
        }
    )
    try:
        with pytest.raises(InvalidSpec, match=r"callable 'specs' \(or a list\)"):
            get_dataset("flat")
        assert [spec.label for spec in get_dataset("fixed").specs] == ["testapp.tag"]
        with pytest.raises(InvalidArguments, match="is a fixed list of specs and takes no arg"):
            get_dataset("fixed", "1")
        with pytest.raises(InvalidSpec, match="'mappers' must map"):
            get_dataset("mapped")
    finally:
        datasets.EXTRA.clear()
