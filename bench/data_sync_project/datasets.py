"""The benchmark's dataset, for Tidemark and for feincms3-data alike: all polls."""

from typing import Any


def datasets() -> dict[str, Any]:
    from polls.models import Choice, Question

    from tidemark_data_sync import specs_for_models

    return {
        "polls": {
            "specs": lambda args: specs_for_models([Question, Choice], {"delete_missing": True})
        }
    }
