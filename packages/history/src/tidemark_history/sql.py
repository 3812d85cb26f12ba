"""The SQL functions through which the capture triggers read and store the active context.

They live in the database (created by migration ``0002``), so how a context is read can
change with a migration instead of regenerating every trigger of every tracked model.

``tidemark_history.context``, the transaction-local setting the delivery sets, holds either
a JSON document ``{"id": "<uuid>", "parent": "<uuid>" | null, "metadata": {...}}`` (the id
first, at a fixed place) or, once its row is stored in the transaction, the bare id.

- ``tidemark_history_current_context()`` returns the id, or NULL when the setting is empty.
  Any other value is refused with an error that names the setting.
- ``tidemark_history_store_context()`` is called by a trigger after it recorded events:
  it writes the context row once (``ON CONFLICT DO NOTHING``: a row is never changed),
  then narrows the setting to the bare id so that later statements of the transaction skip
  the work. A bare id must name a recorded context.
"""

from __future__ import annotations

from .delivery import SETTING

CONTEXT_TABLE = "tidemark_history_context"
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_HINT = (
    f"tidemark_history.context() sets {SETTING} from Python. Reset it with "
    f"SELECT set_config(''{SETTING}'', '''', true)."
)

CURRENT_CONTEXT = rf"""
CREATE OR REPLACE FUNCTION tidemark_history_current_context() RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    setting text := current_setting('{SETTING}', true);
BEGIN
    IF setting IS NULL OR setting = '' THEN
        RETURN NULL;
    ELSIF setting ~ '^{_UUID}$' THEN
        RETURN setting::uuid;
    ELSIF setting ~ '^\{{"id":"{_UUID}",' THEN
        RETURN substr(setting, 8, 36)::uuid;
    END IF;
    RAISE EXCEPTION 'The setting {SETTING} holds %, which is not a history context.',
        quote_literal(left(setting, 100))
        USING ERRCODE = 'invalid_parameter_value',
        DETAIL = 'It must be empty, the id (a lowercase UUID) of a recorded context, or what '
            'tidemark_history.context() sets.',
        HINT = '{_HINT}';
END
$$;
"""

STORE_CONTEXT = rf"""
CREATE OR REPLACE FUNCTION tidemark_history_store_context() RETURNS uuid
LANGUAGE plpgsql AS $$
DECLARE
    setting text := current_setting('{SETTING}', true);
    context_id uuid := tidemark_history_current_context();
    document jsonb;
    parent_id uuid;
BEGIN
    IF context_id IS NULL THEN
        RETURN NULL;
    ELSIF length(setting) = 36 THEN
        PERFORM FROM {CONTEXT_TABLE} WHERE id = context_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'The setting {SETTING} names the context %, which is not recorded.',
                context_id
                USING ERRCODE = 'invalid_parameter_value', HINT = '{_HINT}';
        END IF;
        RETURN context_id;
    END IF;
    BEGIN
        document := setting::jsonb;
        parent_id := (document->>'parent')::uuid;
        IF jsonb_typeof(document->'metadata') IS DISTINCT FROM 'object' THEN
            RAISE invalid_text_representation;
        END IF;
    EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value THEN
        RAISE EXCEPTION 'The setting {SETTING} holds %, which is not a history context.',
            quote_literal(left(setting, 100))
            USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Its JSON document must have an id, a parent (a UUID or null) and '
                'metadata (an object).',
            HINT = '{_HINT}';
    END;
    INSERT INTO {CONTEXT_TABLE} (id, created_at, parent, metadata)
    VALUES (context_id, now(), parent_id, document->'metadata')
    ON CONFLICT (id) DO NOTHING;
    PERFORM set_config('{SETTING}', context_id::text, true);
    RETURN context_id;
END
$$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION IF EXISTS tidemark_history_store_context();
DROP FUNCTION IF EXISTS tidemark_history_current_context();
"""
