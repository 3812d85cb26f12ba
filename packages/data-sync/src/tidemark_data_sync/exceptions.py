"""The errors raised by Tidemark data sync; all derive from `tidemark_core.TidemarkError`."""

from __future__ import annotations

from tidemark_core import TidemarkError


class DataSyncError(TidemarkError):
    """Base class of the data-sync errors. A load that raises one has changed nothing."""


class InvalidSpec(DataSyncError):
    """A dataset definition or one of its specs is malformed."""


class UnknownDataset(DataSyncError):
    """No dataset of that name is defined by ``TIDEMARK_DATA_SYNC_DATASETS``."""


class InvalidArguments(DataSyncError):
    """A dataset's spec function refused the arguments it was given (``NAME:ARGS``)."""


class InvalidDump(DataSyncError):
    """A dump file is garbled, truncated, tampered with or names something it may not."""


class SignatureError(InvalidDump):
    """A dump's signature is wrong, or missing where signatures are required."""


class OutsideScope(InvalidDump):
    """A dump holds rows that the receiving project's dataset does not select.

    Every row a load writes must lie inside the receiver's own specs and filters, evaluated
    on the target database, before the load (for rows that exist) and after it.
    """


class DatasetMismatch(DataSyncError):
    """A dump's specs differ from the receiving project's definition of the dataset."""


class MissingMigrations(DataSyncError):
    """The target database lacks migrations the source had for the dataset's apps.

    Attributes:
        missing: The missing migrations as ``(app_label, name)`` pairs.
    """

    def __init__(self, missing: list[tuple[str, str]], using: str) -> None:
        self.missing = missing
        listed = ", ".join(f"{app}.{name}" for app, name in missing)
        super().__init__(
            f"The database {using!r} lacks migrations the dump's source had applied: {listed}. "
            f"Run `manage.py migrate --database {using}` with the source's code first."
        )


class TooManyDeletions(DataSyncError):
    """The load would delete more rows than ``max_delete`` allows."""


class LoadFailed(DataSyncError):
    """The database rejected the data (a constraint, a type, a protected row)."""
