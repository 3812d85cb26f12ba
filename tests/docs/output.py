"""Compare the output a console block shows with the output its command really printed.

What a page shows must be there, in order; the command may print more (pages abbreviate).
In the shown output:

- a line that is only ``...`` stands for any number of lines;
- ``…`` within a line stands for any text (a commit written ``3f2c9e…`` for any commit:
  hex digits before ``…`` stand for any hex digits);
- a timestamp ``2026-11-20 14:02:11`` stands for any timestamp;
- runs of spaces count as one space (tables are aligned to their real widths).
"""

from __future__ import annotations

import re

ANY_LINES = "..."
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_SHORT_COMMIT = re.compile(r"[0-9a-f]*…")


def _normalise(line: str) -> str:
    return " ".join(line.split())


def line_pattern(shown: str) -> re.Pattern[str]:
    """The regular expression a real output line must match to be `shown`."""
    pattern = ""
    text = _normalise(shown)
    position = 0
    for match in re.finditer(f"{_TIMESTAMP.pattern}|{_SHORT_COMMIT.pattern}", text):
        pattern += re.escape(text[position : match.start()])
        token = match.group()
        if token.endswith("…"):
            pattern += ".*?" if token == "…" else "[0-9a-f]+…?"
        else:
            pattern += _TIMESTAMP.pattern
        position = match.end()
    pattern += re.escape(text[position:])
    return re.compile(pattern)


def missing_output(shown: list[str], printed: str) -> str | None:
    """None when `printed` holds every line of `shown` in order, else what is missing."""
    lines = [_normalise(line) for line in printed.splitlines()]
    position = 0
    for index, expected in enumerate(shown):
        if expected.strip() == ANY_LINES or not expected.strip():
            continue
        pattern = line_pattern(expected)
        found = next(
            (at for at in range(position, len(lines)) if pattern.fullmatch(lines[at])), None
        )
        if found is None:
            return (
                f"line {index + 1} of the shown output is not in what the command printed "
                f"(after the lines matched before it): {expected.strip()!r}"
            )
        position = found + 1
    return None
