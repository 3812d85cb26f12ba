"""Run the benchmarks: `python bench/run.py [NAME ...] [-- ARGS]` (all of them when none is named).

Each benchmark is a script bench/<name>.py that measures Tidemark against its anchor in the
same run, on the same database, and prints ratios. They are not tests: `make test` never runs
them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    available = sorted(path.stem for path in BENCH.glob("*.py") if path.stem != "run")
    names = [arg for arg in argv if arg in available] or available
    extra = [arg for arg in argv if arg not in available and arg != "--"]
    if not available:
        print("No benchmarks yet.")
        return 0
    failed = 0
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        failed += subprocess.call([sys.executable, str(BENCH / f"{name}.py"), *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
