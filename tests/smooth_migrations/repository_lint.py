"""Lint every migration installed by one settings module; print the findings as JSON lines.

    python -m tests.smooth_migrations.repository_lint SETTINGS_MODULE

Run by test_repository_lint.py, once per settings module of the repository, in a process of
its own (each settings module installs other apps).
"""

from __future__ import annotations

import json
import os
import sys


def main(settings_module: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from tidemark_smooth_migrations import lint_migrations

    result = lint_migrations(baseline={})
    for key in result.linted:
        sys.stdout.write(json.dumps({"linted": ".".join(key)}) + "\n")
    for finding in [*result.findings, *result.suppressed]:
        data = finding.as_dict()
        data["module"] = settings_module
        sys.stdout.write(json.dumps(data) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
