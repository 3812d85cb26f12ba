"""The demo's story (``example_project/story``), importable by the suites that check it.

``example_project`` is no package of the test suites: its folder goes on ``sys.path`` here,
once, and the story's names are re-exported.
"""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLE_PROJECT = Path(__file__).resolve().parent.parent / "example_project"
if str(EXAMPLE_PROJECT) not in sys.path:
    sys.path.insert(0, str(EXAMPLE_PROJECT))

from story import databases  # noqa: E402
from story.checkout import Checkout  # noqa: E402
from story.narrator import DemoError, Narrator  # noqa: E402
from story.steps import STEPS, prepare  # noqa: E402

__all__ = ["STEPS", "Checkout", "DemoError", "Narrator", "databases", "prepare"]
