"""The privileged maintenance path: the only way to delete or rewrite recorded history.

Two ``SECURITY DEFINER`` functions, owned by the role that runs this migration (the owner
of the history tables), with ``EXECUTE`` revoked from ``PUBLIC``: a role may call them only
when granted explicitly. Each refuses a table that no Tidemark guard protects, names the
table in the transaction-local ``tidemark_history.maintenance`` setting (which the guard
honours only for the table's owner, so setting it by hand does nothing for another role),
changes the rows with the given primary keys, and clears the setting.
"""

from django.db import migrations

CHECK_TARGET = """
    SELECT attribute.attname, pg_catalog.format_type(attribute.atttypid, attribute.atttypmod)
    INTO key_column, key_type
    FROM pg_catalog.pg_index AS index
    JOIN pg_catalog.pg_attribute AS attribute
        ON attribute.attrelid = index.indrelid AND attribute.attnum = index.indkey[0]
    WHERE index.indrelid = target AND index.indisprimary;
    IF key_column IS NULL OR NOT EXISTS (
        SELECT FROM pg_catalog.pg_trigger
        WHERE tgrelid = target AND tgname LIKE 'pgtrigger\\_append\\_only\\_%'
    ) THEN
        RAISE EXCEPTION 'tidemark_history maintenance: % is not a history table.', target
            USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Only event tables and tidemark_history_context, which the append-only '
                'guard protects, can be pruned or redacted.';
    END IF;
"""

FUNCTIONS = f"""
CREATE FUNCTION tidemark_history_delete(target regclass, keys text[]) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_column name;
    key_type text;
    changed bigint;
BEGIN
    {CHECK_TARGET}
    PERFORM set_config('tidemark_history.maintenance', target::oid::text, true);
    EXECUTE format('DELETE FROM %s WHERE %I = ANY($1::%s[])', target, key_column, key_type)
        USING keys;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('tidemark_history.maintenance', '', true);
    RETURN changed;
END;
$$;

CREATE FUNCTION tidemark_history_update(target regclass, keys text[], changes jsonb)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    key_column name;
    key_type text;
    unknown text;
    columns text;
    changed bigint;
BEGIN
    {CHECK_TARGET}
    IF jsonb_typeof(changes) IS DISTINCT FROM 'object' OR changes = '{{}}'::jsonb THEN
        RAISE EXCEPTION 'tidemark_history maintenance: changes must be a non-empty JSON object.'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(quote_literal(name), ', ' ORDER BY name) INTO unknown
    FROM jsonb_object_keys(changes) AS name
    WHERE name = key_column OR NOT EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = target AND attname = name AND attnum > 0 AND NOT attisdropped
    );
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'tidemark_history maintenance: % cannot be set on %.', unknown, target
            USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Name columns of the table other than its primary key.';
    END IF;
    SELECT string_agg(format('%I = source.%I', name, name), ', ') INTO columns
    FROM jsonb_object_keys(changes) AS name;
    PERFORM set_config('tidemark_history.maintenance', target::oid::text, true);
    EXECUTE format(
        'UPDATE %s AS target_row SET %s FROM jsonb_populate_record(NULL::%s, $2) AS source'
        ' WHERE target_row.%I = ANY($1::%s[])',
        target, columns, target, key_column, key_type
    ) USING keys, changes;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('tidemark_history.maintenance', '', true);
    RETURN changed;
END;
$$;

REVOKE ALL ON FUNCTION tidemark_history_delete(regclass, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION tidemark_history_update(regclass, text[], jsonb) FROM PUBLIC;
"""

DROP_FUNCTIONS = """
DROP FUNCTION tidemark_history_update(regclass, text[], jsonb);
DROP FUNCTION tidemark_history_delete(regclass, text[]);
"""


class Migration(migrations.Migration):
    dependencies = [("tidemark_history", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS)]
