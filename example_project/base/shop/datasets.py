"""The shop's datasets for Tidemark data sync (TIDEMARK_DATA_SYNC_DATASETS points here)."""

from typing import Any


def catalog(args: str) -> list[dict[str, Any]]:
    """The catalog: categories (all, or those whose slugs ARGS lists) and their products."""
    slugs = args.split(",") if args else None
    return [
        {
            "model": "shop.category",
            "filter": {"slug__in": slugs} if slugs else {},
            "delete_missing": True,
            "identity": "slug",
        },
        {
            "model": "shop.product",
            "filter": {"category__slug__in": slugs} if slugs else {},
            "delete_missing": True,
        },
    ]


def datasets() -> dict[str, Any]:
    return {"catalog": {"specs": catalog}}
