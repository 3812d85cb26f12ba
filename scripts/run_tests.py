"""Run every test suite in its own pytest process, then combine coverage.

Each suite under tests/ has its own Django settings and installs only its own app, which
proves each app works alone; integration/ installs all of them. Usage:

    python scripts/run_tests.py [SUITE ...] [PYTEST_ARGS ...]

Arguments naming a suite select it (all suites when none is named); the others go to pytest.
A run of every suite with no pytest arguments fails when branch coverage falls below the
floor set in pyproject.toml (``fail_under``); partial runs only report it.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = [
    "core",
    "history",
    "migration_state",
    "smooth_migrations",
    "data_sync",
    "integration",
    "docs",
]
REPORTS = ROOT / ".hatch" / "junit"
# Outside the checkout (tests build git repositories and must not find this one above them),
# and apart from pytest runs of other checkouts on the machine.
TEMP = Path(tempfile.gettempdir()) / f"tidemark-tests-{hashlib.sha1(bytes(ROOT)).hexdigest()[:8]}"


def main(argv: list[str]) -> int:
    names = [arg for arg in argv if arg in SUITES]
    pytest_args = [arg for arg in argv if arg not in SUITES and arg != "--"]
    REPORTS.mkdir(parents=True, exist_ok=True)
    TEMP.mkdir(parents=True, exist_ok=True)
    for stale in ROOT.glob(".coverage.*"):
        stale.unlink()
    failed_suites = []
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for suite in names or SUITES:
        report = REPORTS / f"{suite}.xml"
        report.unlink(missing_ok=True)
        print(f"\n=== tests/{suite} ===", flush=True)
        command = [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "-m",
            "pytest",
            f"tests/{suite}",
            f"--ds=tests.{suite}.settings",
            f"--junitxml={report}",
            f"--basetemp={TEMP / suite}",
            *pytest_args,
        ]
        if subprocess.call(command, cwd=ROOT) != 0:
            failed_suites.append(suite)
        for key, value in _counts(report).items():
            totals[key] += value
    subprocess.call([sys.executable, "-m", "coverage", "combine", "--quiet"], cwd=ROOT)
    whole_run = not names and not pytest_args
    floor = [] if whole_run else ["--fail-under=0"]
    if subprocess.call([sys.executable, "-m", "coverage", "report", *floor], cwd=ROOT) != 0:
        failed_suites.append("coverage below the floor (fail_under in pyproject.toml)")
    if failed_suites:
        print(f"\nFailed suites: {', '.join(failed_suites)}")
    print(
        f"\ntidemark: {totals['passed']} passed, {totals['failed']} failed, "
        f"{totals['skipped']} skipped"
    )
    return 1 if failed_suites else 0


def _counts(report: Path) -> dict[str, int]:
    if not report.exists():
        return {"passed": 0, "failed": 1, "skipped": 0}
    suite = ElementTree.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert suite is not None
    tests, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return {"passed": tests - skipped - failed, "failed": failed, "skipped": skipped}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
