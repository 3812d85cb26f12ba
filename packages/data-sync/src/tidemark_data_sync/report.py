"""What a load did or would do: per-model counts with samples, as text or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SAMPLES = 5
"""How many example rows each count carries."""


@dataclass
class ModelChanges:
    """The rows of one model a load creates, updates, leaves alone and deletes.

    Attributes:
        model: ``app_label.model_name``.
        created: Rows inserted.
        updated: Existing rows whose values changed.
        unchanged: Rows in the dump already identical on the target.
        deleted: Rows deleted because a ``delete_missing`` spec's filter holds them and
            the dump lacks them.
        cascaded: Rows deleted by the ORM's cascades from those deletions.
        samples: Up to five example rows per kind ("created", "updated", "deleted",
            "cascaded"), as ``"pk: str(row)"`` (or the row's identity values); updated
            rows also name the fields that change, ``"3: Kettle (name: 'Kettle' → 'Hammer')"``.
        diffs: For the sampled updated rows, by pk: field → ``[old, new]``, as PostgreSQL
            prints the values (None for NULL).
    """

    model: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    cascaded: int = 0
    samples: dict[str, list[str]] = field(default_factory=dict)
    diffs: dict[str, dict[str, list[str | None]]] = field(default_factory=dict)

    def sample(self, kind: str, values: list[str]) -> None:
        """Add example rows for `kind`, keeping at most five."""
        if not values:
            return
        known = self.samples.setdefault(kind, [])
        known.extend(value for value in values if value not in known)
        del known[SAMPLES:]


@dataclass
class LoadResult:
    """The outcome of `load()` or `plan()`.

    Attributes:
        dataset: The dataset's name (``""`` for specs given in Python).
        args: The dataset's arguments.
        database: The target database alias.
        planned: True for a plan: nothing was written.
        models: The changes per model, in spec order (cascade-only models last).
        m2m: Links added and removed per many-to-many field (``app.model.field``).
        signature: ``"verified"``, ``"unsigned"``, or ``"not checked"`` (signed, but this
            project has no signing keys).
    """

    dataset: str
    args: str
    database: str
    planned: bool
    models: dict[str, ModelChanges] = field(default_factory=dict)
    m2m: dict[str, dict[str, int]] = field(default_factory=dict)
    signature: str = "unsigned"

    def changes(self, label: str) -> ModelChanges:
        """The entry of the model `label`, created on first use."""
        return self.models.setdefault(label, ModelChanges(label))

    @property
    def deleted(self) -> int:
        """Rows deleted in all, cascades included."""
        return sum(item.deleted + item.cascaded for item in self.models.values())

    @property
    def changed(self) -> bool:
        """Whether the load changes anything at all."""
        return bool(
            self.deleted
            or any(item.created or item.updated for item in self.models.values())
            or any(sum(counts.values()) for counts in self.m2m.values())
        )

    @property
    def name(self) -> str:
        """``NAME:ARGS`` (``NAME`` without arguments), or ``ad-hoc specs``."""
        if not self.dataset:
            return "ad-hoc specs"
        return f"{self.dataset}:{self.args}" if self.args else self.dataset

    @property
    def title(self) -> str:
        """``Dataset 'NAME:ARGS'``, or ``Ad-hoc specs``."""
        return f"Dataset {self.name!r}" if self.dataset else "Ad-hoc specs"

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (what ``--json`` prints)."""
        return {
            "dataset": self.dataset,
            "args": self.args,
            "database": self.database,
            "planned": self.planned,
            "changed": self.changed,
            "signature": self.signature,
            "models": [asdict(item) for item in self.models.values()],
            "m2m": self.m2m,
        }

    def render(self) -> str:
        """A table of the counts followed by the samples, for people.

        A load that changes nothing is one line saying so.
        """
        if not self.changed:
            return (
                f"{self.title} in database {self.database!r}: nothing to change, the target "
                "already matches the dump.\n"
            )
        verb = "would change (plan, nothing written)" if self.planned else "changed"
        signed = {"verified": " (signature verified)", "not checked": " (signature not checked)"}
        signature = signed.get(self.signature, "")
        lines = [f"{self.title}{signature} {verb} in database {self.database!r}:"]
        width = max([len(label) for label in self.models] + [5])
        columns = ("created", "updated", "unchanged", "deleted", "cascaded")
        lines.append(f"  {'model':<{width}}  " + "  ".join(f"{c:>9}" for c in columns))
        for label, item in self.models.items():
            counts = "  ".join(f"{getattr(item, c):>9}" for c in columns)
            lines.append(f"  {label:<{width}}  {counts}")
        for label, links in self.m2m.items():
            if links["added"] or links["removed"]:
                added, removed = links["added"], links["removed"]
                lines.append(f"  {label}: {added} links added, {removed} removed")
        for label, item in self.models.items():
            for kind, values in item.samples.items():
                lines += [f"  {kind} {label} {value}" for value in values]
        return "\n".join(lines) + "\n"
