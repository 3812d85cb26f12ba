"""Reading dumps as a stream: the JSON Lines format and feincms3-data's version 1 document."""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .dumping import FORMAT, VERSION
from .exceptions import InvalidDump

Source = str | os.PathLike[str] | IO[Any] | Iterable[bytes] | Iterable[str]
"""What `load()` reads: a path, an open file (text or binary), or an iterable of lines."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Dump:
    """An opened dump.

    Attributes:
        manifest: The manifest (for a feincms3-data dump: its version and specs).
        lines: ``(line number, line)`` of each object, read lazily.
        legacy: True for a feincms3-data (version 1) dump, which carries no dataset name,
            counts, checksum or migrations.
    """

    manifest: dict[str, Any]
    lines: Iterator[tuple[int, bytes]]
    legacy: bool

    def where(self, *numbers: int) -> str:
        """Where objects are: ``Line 5``, ``Lines 5 and 9``, or, in a feincms3-data dump
        (one document), ``Object 4 of the feincms3-data dump``."""
        listed = " and ".join(str(number) for number in numbers)
        plural = "s" if len(numbers) > 1 else ""
        if self.legacy:
            return f"Object{plural} {listed} of the feincms3-data dump"
        return f"Line{plural} {listed}"


def _raw_lines(source: Source) -> Iterator[bytes]:
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise InvalidDump(f"The dump file {str(path)!r} does not exist.")
        with path.open("rb") as file:
            yield from file
        return
    for line in source:
        yield line.encode() if isinstance(line, str) else line


def open_dump(source: Source) -> Dump:
    """Open a dump and read its manifest; the object lines stay unread.

    Raises:
        InvalidDump: The file is empty, its first line is no manifest of a known format
            and version, or the manifest is incomplete.
    """
    if isinstance(source, io.TextIOBase):
        source = iter(source)
    lines = _raw_lines(source)
    first = next(lines, b"")
    if not first.strip():
        raise InvalidDump("The dump is empty: its first line should be the manifest.")
    try:
        manifest = json.loads(first)
    except (ValueError, RecursionError):
        manifest = None
    if isinstance(manifest, dict) and manifest.get("format") == FORMAT:
        return Dump(_check_manifest(manifest), _numbered(lines), legacy=False)
    if manifest is None:
        # feincms3-data writes one document, possibly spread over several lines.
        try:
            manifest = json.loads(first + b"".join(lines))
        except (ValueError, RecursionError):
            raise InvalidDump(
                "The dump's first line is not JSON: this is neither a Tidemark dump nor a "
                "feincms3-data dump."
            ) from None
    if isinstance(manifest, dict) and "objects" in manifest and "specs" in manifest:
        if manifest.get("version") != 1:
            raise InvalidDump(
                f"Unsupported feincms3-data dump version {manifest.get('version')!r}; only 1."
            )
        objects = manifest.pop("objects")
        if not isinstance(objects, list) or not isinstance(manifest["specs"], list):
            raise InvalidDump("A feincms3-data dump needs lists of 'specs' and 'objects'.")
        return Dump(manifest, _legacy_lines(objects), legacy=True)
    raise InvalidDump(
        "The dump's first line is not a Tidemark manifest "
        f'({{"format": "{FORMAT}", ...}}) and the file is no feincms3-data dump.'
    )


def _numbered(lines: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    yield from enumerate(lines, start=2)


def _legacy_lines(objects: list[Any]) -> Iterator[tuple[int, bytes]]:
    for number, obj in enumerate(objects, start=1):
        yield number, json.dumps(obj).encode()


def _check_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    version = manifest.get("version")
    if version != VERSION:
        raise InvalidDump(
            f"The dump has format version {version!r}; this Tidemark reads version {VERSION}. "
            "Dump again with the same Tidemark version on both sides."
        )
    expected = {
        "dataset": str,
        "args": str,
        "specs": list,
        "counts": dict,
        "migrations": dict,
        "sha256": str,
    }
    for key, kind in expected.items():
        if not isinstance(manifest.get(key), kind):
            raise InvalidDump(f"The dump's manifest lacks {key!r} (a {kind.__name__}).")
    if not _SHA256.fullmatch(manifest["sha256"]):
        raise InvalidDump("The dump's manifest has a malformed 'sha256'.")
    if not isinstance(manifest.get("signature", ""), str):
        raise InvalidDump("The dump's manifest has a malformed 'signature'.")
    counts_ok = all(
        isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in manifest["counts"].items()
    )
    migrations_ok = all(
        isinstance(names, list) and all(isinstance(n, str) for n in names)
        for names in manifest["migrations"].values()
    )
    if not counts_ok or not migrations_ok:
        raise InvalidDump("The dump's manifest has malformed 'counts' or 'migrations'.")
    return manifest
