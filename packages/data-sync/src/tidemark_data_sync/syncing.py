"""Dump from one configured database and load into another in one streaming step."""

from __future__ import annotations

from .datasets import Dataset
from .dumping import DatasetLike, iter_dump
from .exceptions import DataSyncError
from .loading import Options, run
from .report import LoadResult
from .staging import Progress


def sync(
    dataset: DatasetLike,
    *,
    source: str,
    target: str,
    plan: bool = False,
    max_delete: int | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Dump `dataset` from the database `source` and load it into `target`.

    The dump streams straight into the load (through a temporary file, never memory), and
    the load runs every check a file would get. A dataset given by name is resolved on each
    side, its spec function running against that side's database. With `tidemark_history`
    installed, the changed rows' history context is ``{"command": "sync_dataset", "source":
    ..., "target": ..., "dataset": ..., "args": ...}``.

    Args:
        dataset: ``"NAME"`` or ``"NAME:ARGS"``, or a list of specs.
        source: The database alias to read.
        target: The database alias to write.
        plan: Compute every count and sample in `target`, then roll back.
        max_delete: Abort (changing nothing) when more rows would be deleted.
        progress: Called as ``progress(step, done, total)`` while reading.

    Returns:
        What changed in `target` (or would change, for a plan).

    Raises:
        DataSyncError: `source` and `target` are the same database; nothing is read.
    """
    if source == target:
        raise DataSyncError(
            f"The source and the target are the same database ({source!r}); nothing to sync."
        )
    lines = iter_dump(dataset, using=source)
    options = Options(target, plan, max_delete, False, progress)
    # A name is resolved again for the target, so that its spec function reads the target.
    name, _sep, args = dataset.partition(":") if isinstance(dataset, str) else ("", "", "")
    if isinstance(dataset, Dataset):
        name, args = dataset.name, dataset.args
    context = {
        "command": "sync_dataset",
        "source": source,
        "target": target,
        "dataset": name,
        "args": args,
    }
    [result] = run([lines], options, dataset, context=context)
    return result
