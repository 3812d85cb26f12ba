"""Split SQL into statements and words, the way PostgreSQL reads them (quotes, comments, $$)."""

from __future__ import annotations

import re

_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def _skip_quoted(sql: str, start: int, quote: str) -> int:
    """The index after the quoted text starting at `start` (a doubled quote stays inside)."""
    index = start + 1
    while True:
        end = sql.find(quote, index)
        if end < 0:
            return len(sql)
        if sql.startswith(quote * 2, end):
            index = end + 2
            continue
        return end + 1


def _skip_comment(sql: str, start: int) -> int:
    if sql.startswith("--", start):
        end = sql.find("\n", start)
        return len(sql) if end < 0 else end + 1
    end = sql.find("*/", start + 2)
    return len(sql) if end < 0 else end + 2


def _skip_dollar(sql: str, start: int) -> int:
    match = _DOLLAR.match(sql, start)
    if match is None:
        return start + 1
    end = sql.find(match.group(0), match.end())
    return len(sql) if end < 0 else end + len(match.group(0))


def split(sql: str) -> list[str]:
    """The statements of `sql`, without comments and trailing semicolons, blanks dropped."""
    statements: list[str] = []
    parts: list[str] = []
    index = last = 0
    while index < len(sql):
        char = sql[index]
        if char in "'\"":
            index = _skip_quoted(sql, index, char)
        elif sql.startswith("--", index) or sql.startswith("/*", index):
            parts.append(sql[last:index] + " ")
            index = last = _skip_comment(sql, index)
        elif char == "$" and (
            index == 0 or not (sql[index - 1].isalnum() or sql[index - 1] == "_")
        ):
            index = _skip_dollar(sql, index)
        elif char == ";":
            parts.append(sql[last:index])
            statements.append("".join(parts))
            parts = []
            index = last = index + 1
        else:
            index += 1
    parts.append(sql[last:])
    statements.append("".join(parts))
    return [" ".join(statement.split()) for statement in statements if statement.strip()]


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """`text` split at `separator` outside parentheses, quotes and dollar quotes."""
    pieces: list[str] = []
    depth = index = last = 0
    while index < len(text):
        char = text[index]
        if char in "'\"":
            index = _skip_quoted(text, index, char)
            continue
        if char == "$":
            index = _skip_dollar(text, index)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == separator and depth == 0:
            pieces.append(text[last:index].strip())
            last = index + 1
        index += 1
    pieces.append(text[last:].strip())
    return [piece for piece in pieces if piece]


def strip_literals(text: str) -> str:
    """`text` with string and dollar-quoted literals replaced by ``''`` (for keyword search)."""
    out: list[str] = []
    index = last = 0
    while index < len(text):
        char = text[index]
        if char == "'":
            end = _skip_quoted(text, index, char)
            out.append(text[last:index] + "''")
            index = last = end
        elif char == "$" and _DOLLAR.match(text, index):
            end = _skip_dollar(text, index)
            out.append(text[last:index] + "''")
            index = last = end
        else:
            index += 1
    out.append(text[last:])
    return "".join(out)


IDENTIFIER = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z_0-9$]*)'
QUALIFIED = rf"{IDENTIFIER}(?:\s*\.\s*{IDENTIFIER})*"


def unquote(name: str) -> str:
    """The last part of a possibly qualified identifier, as PostgreSQL stores it."""
    parts = re.findall(IDENTIFIER, name)
    last = parts[-1] if parts else name
    if last.startswith('"'):
        return last[1:-1].replace('""', '"')
    return last.lower()
