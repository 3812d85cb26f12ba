"""Context metadata readable as attributes: ``event.context.user`` for ``{"user": 42}``."""

from __future__ import annotations

import keyword
from typing import Any


class MetadataAttributes:
    """Read the keys of ``self.metadata`` as attributes where the key is an identifier.

    Model fields and methods win over metadata keys; a key that is not a Python
    identifier (``"user-agent"``) or starts with an underscore is read through
    ``metadata[...]`` only.
    """

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails; Django probes private names with hasattr().
        if not name.startswith("_") and name.isidentifier() and not keyword.iskeyword(name):
            metadata = self.__dict__.get("metadata")
            if isinstance(metadata, dict) and name in metadata:
                return metadata[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
