"""The demo: ``make demo`` runs ``python example_project/demo.py run`` (see `story`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from story.cli import main

if __name__ == "__main__":
    sys.exit(main())
