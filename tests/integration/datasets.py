"""The datasets of the integration suite (TIDEMARK_DATA_SYNC_DATASETS points here)."""

from __future__ import annotations

from typing import Any


def datasets() -> dict[str, Any]:
    return {
        "catalog": {
            "specs": lambda args: [
                {"model": "shop.category", "delete_missing": True},
                {"model": "shop.product", "delete_missing": True},
            ]
        }
    }
