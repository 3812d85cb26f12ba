"""What seals a dump: a SHA-256 over every byte that matters, and an optional HMAC over it.

The ``sha256`` of a manifest covers the object lines exactly as they are in the file,
followed by the manifest itself as canonical JSON (sorted keys, no spaces, ASCII), without
``sha256`` and ``signature``. It detects damage: a flipped bit, a cut-off file, a widened
argument. Anyone can recompute it, so it proves nothing about who wrote the file. The
``signature`` is an HMAC-SHA256 of that checksum under a key shared by the environments
(``TIDEMARK_DATA_SYNC_SIGNING_KEYS``): only a holder of a key can make one that verifies.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.utils.crypto import constant_time_compare, salted_hmac

from . import conf
from .exceptions import SignatureError

UNSEALED = ("sha256", "signature")
"""The manifest keys the checksum does not cover (they are the seal)."""

SALT = "tidemark_data_sync.dump"
"""Separates these HMACs from any other use of the same key."""

VERIFIED, UNSIGNED, UNCHECKED = "verified", "unsigned", "not checked"
"""The outcomes of `check_signature`, as a `LoadResult` reports them."""

_HEX64 = re.compile(r"[0-9a-f]{64}")


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The manifest as the checksum covers it: canonical JSON without the seal's keys."""
    covered = {key: value for key, value in manifest.items() if key not in UNSEALED}
    return json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def checksum(objects: Any, manifest: dict[str, Any]) -> str:
    """The ``sha256`` of a dump: `objects` (a SHA-256 of the object lines) and the manifest."""
    digest = objects.copy()
    digest.update(manifest_bytes(manifest))
    return str(digest.hexdigest())


def seal(objects: Any, manifest: dict[str, Any]) -> dict[str, Any]:
    """Add ``sha256`` and, when signing keys are set, ``signature`` (by the first key)."""
    sealed = dict(manifest)
    sealed["sha256"] = checksum(objects, manifest)
    keys = conf.signing_keys()
    if keys:
        sealed["signature"] = sign(sealed["sha256"], keys[0])
    return sealed


def sign(sha256: str, key: str) -> str:
    """The HMAC-SHA256 of a dump's checksum under `key`, as hex."""
    return salted_hmac(SALT, sha256, secret=key, algorithm="sha256").hexdigest()


def new_digest() -> Any:
    """A SHA-256 to feed the object lines into."""
    return hashlib.sha256()


def settings() -> tuple[tuple[str, ...], bool]:
    """The signing keys and whether signatures are required, both validated.

    Raises:
        ImproperlyConfigured: Either setting is invalid.
    """
    return conf.signing_keys(), conf.require_signature()


def check_signature(manifest: dict[str, Any] | None, keys: tuple[str, ...], required: bool) -> str:
    """Verify a manifest's signature against every configured key.

    Args:
        manifest: A Tidemark manifest, or None for a file that cannot carry a signature
            (a feincms3-data dump).
        keys: The keys that verify (see `settings`).
        required: Whether an unsigned file is refused.

    Returns:
        `VERIFIED`, `UNSIGNED`, or `UNCHECKED` (signed, but no key is configured here).

    Raises:
        SignatureError: The signature matches no key, or the file is unsigned while
            ``TIDEMARK_DATA_SYNC_REQUIRE_SIGNATURE`` is True.
    """
    signature = None if manifest is None else manifest.get("signature")
    if signature is None:
        if required:
            raise SignatureError(
                f"The dump is not signed, and {conf.REQUIRE_SIGNATURE.name} is True: "
                "dump it again where the signing keys are set. Nothing was loaded."
            )
        return UNSIGNED
    if not keys:
        return UNCHECKED
    assert manifest is not None
    valid = isinstance(signature, str) and _HEX64.fullmatch(signature)
    if not valid or not any(
        constant_time_compare(signature, sign(str(manifest["sha256"]), key)) for key in keys
    ):
        raise SignatureError(
            "The dump's signature matches none of the keys in "
            f"{conf.SIGNING_KEYS.name}: the file was altered, or it was signed with a key "
            "this project does not have. Nothing was loaded."
        )
    return VERIFIED
