"""The SQL functions through which the capture triggers read and store the active context.

They live in the database (created by migration ``0002``), so how a context is read can
change with a migration instead of regenerating every trigger of every tracked model.

``tidemark_history.context``, the transaction-local setting the delivery sets, holds either
a JSON document ``{"id": "<uuid>", "parent": "<uuid>" | null, "metadata": {...}}`` (the id
first, at a fixed place) or, once its row is stored in the transaction, the bare id.

- ``tidemark_history_current_context()`` returns the id, or NULL when the setting is empty.
  Any other value is refused with an error that names the setting. One SQL expression,
  inlined where it is used: it costs no function call.
- ``tidemark_history_store_context()`` is called by a trigger after it recorded events,
  while the setting holds the document: it writes the context row once (``ON CONFLICT DO
  NOTHING``: a row is never changed), then narrows the setting to the bare id so that later
  statements of the transaction skip it. A bare id is taken as given (the delivery sends
  one only for a row it saw stored).

The functions change through a new migration that runs ``CREATE OR REPLACE FUNCTION`` with
their new text; the triggers never need regenerating for it.
"""

from __future__ import annotations

from .delivery import SETTING
from .triggers import SAFE_SEARCH_PATH

CONTEXT_TABLE = "tidemark_history_context"
_HINT = (
    f"tidemark_history.context() sets {SETTING} from Python. Reset it with "
    f"SELECT set_config(''{SETTING}'', '''', true)."
)

_READ = f"current_setting('{SETTING}', true)"

# Refuses a value that is no context; a function of its own so that the one below stays a
# single SQL expression, which PostgreSQL inlines into the trigger's own expression (STABLE,
# as a STABLE function that calls a VOLATILE one is not inlined).
REFUSE_CONTEXT = rf"""
CREATE OR REPLACE FUNCTION tidemark_history_refuse_context(setting text, detail text)
RETURNS uuid LANGUAGE plpgsql STABLE AS $$
BEGIN
    RAISE EXCEPTION 'The setting {SETTING} holds %, which is not a history context.',
        quote_literal(left(setting, 100))
        USING ERRCODE = 'invalid_parameter_value', DETAIL = detail, HINT = '{_HINT}';
END
$$;
"""


def _is_uuid(text: str) -> str:
    """SQL: whether `text`, 36 characters long, is a lowercase UUID (8-4-4-4-12 hex digits).

    Plain string functions, not a regular expression: PostgreSQL builds a regular
    expression's matching state at each call, which cost the two patterns read before
    10 to 15 µs in every statement that recorded events with a context.
    """
    hyphens = " AND ".join(f"substr({text}, {place}, 1) = '-'" for place in (9, 14, 19, 24))
    return f"translate({text}, '0123456789abcdef', '') = '----' AND {hyphens}"


_DOCUMENT_ID = f"substr({_READ}, 8, 36)"

CURRENT_CONTEXT = rf"""
CREATE OR REPLACE FUNCTION tidemark_history_current_context() RETURNS uuid
LANGUAGE sql STABLE AS $$
SELECT CASE
    WHEN length({_READ}) = 36 AND {_is_uuid(_READ)} THEN {_READ}::uuid
    WHEN left({_READ}, 7) = '{{"id":"' AND substr({_READ}, 44, 2) = '",'
        AND {_is_uuid(_DOCUMENT_ID)} THEN {_DOCUMENT_ID}::uuid
    WHEN coalesce({_READ}, '') = '' THEN NULL
    ELSE tidemark_history_refuse_context(
        {_READ},
        'It must be empty, the id (a lowercase UUID) of a recorded context, or what '
        'tidemark_history.context() sets.'
    )
END
$$;
"""


def _store_context(parent: bool) -> str:
    columns = "id, created_at, parent, metadata" if parent else "id, created_at, metadata"
    values = (
        "context_id, now(), parent_id, document->'metadata'"
        if parent
        else ("context_id, now(), document->'metadata'")
    )
    # Its search path is pinned, pg_temp last: called directly (create_event(), the
    # backfill), it would otherwise let a temporary table named like the context table,
    # which any role with TEMPORARY can create, catch the row.
    return rf"""
SELECT pg_catalog.set_config(
    'tidemark_history.saved_search_path', pg_catalog.current_setting('search_path'), true
);
{SAFE_SEARCH_PATH};
CREATE OR REPLACE FUNCTION tidemark_history_store_context() RETURNS uuid
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    setting text := {_READ};
    context_id uuid := tidemark_history_current_context();
    document jsonb;
    parent_id uuid;
BEGIN
    IF context_id IS NULL OR left(setting, 1) <> '{{' THEN
        RETURN context_id;  -- no context, or a bare id: its row is stored
    END IF;
    BEGIN
        document := setting::jsonb;
        parent_id := (document->>'parent')::uuid;
        IF jsonb_typeof(document->'metadata') IS DISTINCT FROM 'object' THEN
            RAISE invalid_text_representation;
        END IF;
    EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value THEN
        PERFORM tidemark_history_refuse_context(
            setting,
            'Its JSON document must have an id, a parent (a UUID or null) and metadata '
            '(an object).'
        );
    END;
    INSERT INTO {CONTEXT_TABLE} ({columns})
    VALUES ({values})
    ON CONFLICT (id) DO NOTHING;
    -- Later statements of the transaction find the row stored: they skip this function.
    PERFORM set_config('{SETTING}', context_id::text, true);
    RETURN context_id;
END
$$;
SELECT pg_catalog.set_config(
    'search_path', pg_catalog.current_setting('tidemark_history.saved_search_path'), true
);
"""


def functions(*, parent: bool = True) -> str:
    """The SQL that creates (or replaces) the functions.

    Migration 0001 creates them without the ``parent`` column, which 0005 adds: so a
    database migrated from scratch records contexts from the first migration of any app
    that depends on 0001.
    """
    return REFUSE_CONTEXT + CURRENT_CONTEXT + _store_context(parent)


DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS tidemark_history_store_context();
DROP FUNCTION IF EXISTS tidemark_history_current_context();
DROP FUNCTION IF EXISTS tidemark_history_refuse_context(text, text);
"""
