"""The receiver's scope: every row a dump writes lies inside its own dataset, on the target.

The specs and filters that count are the receiving project's, evaluated on the target
database: a row the dump changes must lie inside them before the load (when it exists) and
after it, whatever the file says. Rows of ``save_as_new`` models (and of models whose pk
is inherited from one) are new rows on every load, and their filters name pks of the source,
so they are not checked here; their deletions are scoped by the mapped filters.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet

from .engine import Engine
from .exceptions import OutsideScope
from .report import SAMPLES
from .samples import labels


def check(engine: Engine, label: str, *, before: bool) -> None:
    """Refuse the dump when a staged row of `label` lies outside the dataset's scope.

    Args:
        engine: The load of one dump, with its pk maps built.
        label: The model to check.
        before: Check the rows that exist, before the load writes them; else every row
            of the dump, after the upserts and links are written.

    Raises:
        OutsideScope: The message names the rows (pk and label) and the dataset.
    """
    spec = engine.specs[label]
    if spec.save_as_new or (engine.remapped[label] and not spec.identity):
        return
    model = engine.labels[label]
    selected = engine.dataset.select(model, engine.using)
    if selected is None:
        return  # a spec without filter: every row
    m = engine.stager.table("m", label)
    existed = "m.existed AND " if before else ""
    try:
        inner, params = selected.values("pk").query.sql_with_params()
        outside = f"NOT EXISTS (SELECT 1 FROM ({inner}) x(pk) WHERE x.pk = m.dst)"
    except EmptyResultSet:
        outside, params = "TRUE", ()
    rows = engine.stager.sql(
        f"SELECT m.dst::text FROM {m} m WHERE {existed}{outside} ORDER BY m.dst LIMIT {SAMPLES}",
        params,
    )
    if not rows:
        return
    pks = [row[0] for row in rows]
    named = "; ".join(labels(model, pks, engine.using, spec.identity).values())
    where = f"dataset {engine.dataset.title!r} on database {engine.using!r}"
    if before:
        raise OutsideScope(
            f"The dump would change {label} rows that lie outside {where} before the load: "
            f"{named}. A load may only change rows its dataset selects; load a dataset whose "
            "filters hold these rows where they are and where the dump puts them. Nothing "
            "was loaded."
        )
    raise OutsideScope(
        f"The dump holds {label} rows outside {where}: {named}. A dump may only write rows "
        "the receiving project's dataset selects (its own specs and filters, evaluated "
        "there). Nothing was loaded."
    )
