"""Set one version on all five distributions, their core pins, and the changelog.

Usage: python scripts/bump_version.py 0.2.0
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.compile(r"^\d+\.\d+\.\d+((a|b|rc)\d+)?$")


def bump(version: str) -> list[Path]:
    changed = []
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        text = pyproject.read_text()
        text = re.sub(r'(?m)^version = "[^"]+"$', f'version = "{version}"', text, count=1)
        # The pin on core, with or without extras: "django-tidemark-core[psycopg]==0.1.0".
        text = re.sub(
            r'"django-tidemark-core(\[[a-z0-9,]+\])?==[^"]+"',
            lambda pin: f'"django-tidemark-core{pin.group(1) or ""}=={version}"',
            text,
        )
        pyproject.write_text(text)
        changed.append(pyproject)
    changelog = ROOT / "CHANGELOG.md"
    text = changelog.read_text()
    heading = f"## {version} ({date.today().isoformat()})"
    text = text.replace("## Unreleased", f"## Unreleased\n\n{heading}", 1)
    changelog.write_text(text)
    changed.append(changelog)
    return changed


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not VERSION.match(argv[0]):
        print(
            f"{argv[0] if argv else '(nothing)'} is not a version; use e.g. 0.2.0", file=sys.stderr
        )
        return 2
    for path in bump(argv[0]):
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
