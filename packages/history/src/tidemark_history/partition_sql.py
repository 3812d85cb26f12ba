"""The SQL functions behind time-partitioned event tables (see `partitions`).

They are created (``CREATE OR REPLACE``) by the migration that partitions an event table and
again by ``history_partitions``, so a database only has them once it has a partitioned event
table. All of them are ``SECURITY INVOKER``: only a role that owns the event table (the one
migrations run as) can change its partitions through them.

Partition bounds are read back under ``TimeZone = 'UTC'``, so they do not depend on the
session's time zone or date style.
"""

from __future__ import annotations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION tidemark_history_partition_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $tidemark$
DECLARE
    _owns boolean := pg_has_role(
        current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER');
BEGIN
    -- As the guard of the partitioned table: TRUNCATE for the owner only, UPDATE and
    -- DELETE only through the maintenance functions (the setting names the table).
    IF _owns AND (TG_OP = 'TRUNCATE' OR current_setting('tidemark_history.maintenance', true)
                  IN (TG_RELID::text, (SELECT inhparent::text FROM pg_inherits
                                       WHERE inhrelid = TG_RELID))) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'History is append-only: % on % is refused.', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Recorded history is never changed or deleted; prune and redact it '
                     'with the history_prune and history_redact commands.';
END
$tidemark$;

CREATE OR REPLACE FUNCTION tidemark_history_columns(target regclass) RETURNS text
LANGUAGE sql STABLE AS $tidemark$
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = target AND attnum > 0 AND NOT attisdropped
$tidemark$;

CREATE OR REPLACE FUNCTION tidemark_history_partitions(parent regclass)
RETURNS TABLE (partition regclass, lower_bound timestamptz, upper_bound timestamptz,
               is_default boolean)
LANGUAGE plpgsql STABLE SET TimeZone = 'UTC' AS $tidemark$
BEGIN
    RETURN QUERY
    SELECT c.oid::regclass,
           m[1]::timestamptz,
           m[2]::timestamptz,
           pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    LEFT JOIN LATERAL regexp_match(
        pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']*)''\) TO \(''([^'']*)''\)'
    ) AS m ON true
    WHERE i.inhparent = parent
    ORDER BY 2 NULLS FIRST;
END
$tidemark$;

CREATE OR REPLACE FUNCTION tidemark_history_guard_partition(part regclass) RETURNS void
LANGUAGE plpgsql AS $tidemark$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = part
                   AND tgname = 'tidemark_partition_guard') THEN
        EXECUTE format('CREATE TRIGGER tidemark_partition_guard BEFORE UPDATE OR DELETE '
                       'OR TRUNCATE ON %s FOR EACH STATEMENT '
                       'EXECUTE FUNCTION tidemark_history_partition_guard()', part);
    END IF;
END
$tidemark$;

CREATE OR REPLACE FUNCTION tidemark_history_partition_name(parent regclass, suffix text)
RETURNS text LANGUAGE sql STABLE AS $tidemark$
    SELECT CASE WHEN length(c.relname) <= 44 THEN c.relname
                ELSE left(c.relname, 35) || '_' || left(md5(c.relname), 8) END
           || '_' || suffix
    FROM pg_class c WHERE c.oid = parent
$tidemark$;

CREATE OR REPLACE FUNCTION tidemark_history_add_default(parent regclass) RETURNS regclass
LANGUAGE plpgsql SET TimeZone = 'UTC' AS $tidemark$
DECLARE
    _part regclass;
    _nsp text := (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = parent);
BEGIN
    SELECT p.partition INTO _part FROM tidemark_history_partitions(parent) p WHERE p.is_default;
    IF _part IS NULL THEN
        EXECUTE format('CREATE TABLE %s.%I PARTITION OF %s DEFAULT', _nsp,
                       tidemark_history_partition_name(parent, 'default'), parent);
        SELECT p.partition INTO _part FROM tidemark_history_partitions(parent) p
        WHERE p.is_default;
    END IF;
    PERFORM tidemark_history_guard_partition(_part);
    RETURN _part;
END
$tidemark$;

CREATE OR REPLACE FUNCTION tidemark_history_add_partition(
    parent regclass, period text, at timestamptz
) RETURNS regclass
LANGUAGE plpgsql SET TimeZone = 'UTC' AS $tidemark$
DECLARE
    _start timestamptz := date_trunc(period, at, 'UTC');
    _end timestamptz := date_trunc(period, at, 'UTC') + ('1 ' || period)::interval;
    _part regclass;
    _nsp text := (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = parent);
BEGIN
    SELECT p.partition INTO _part FROM tidemark_history_partitions(parent) p
    WHERE p.lower_bound = _start AND p.upper_bound = _end;
    IF _part IS NULL THEN
        EXECUTE format('CREATE TABLE %s.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                       _nsp,
                       tidemark_history_partition_name(
                           parent, 'p' || to_char(_start, 'YYYYMMDD')),
                       parent, _start, _end);
        SELECT p.partition INTO _part FROM tidemark_history_partitions(parent) p
        WHERE p.lower_bound = _start AND p.upper_bound = _end;
    END IF;
    PERFORM tidemark_history_guard_partition(_part);
    RETURN _part;
END
$tidemark$;

-- Rows that landed in the DEFAULT partition (no partition for their period yet) move to
-- partitions of their own, in one transaction: the DEFAULT partition is detached, the
-- partitions are created, the rows are inserted again through the parent with their ids,
-- and the detached table is dropped. Nothing is deleted row by row, so the append-only guard
-- has nothing to refuse; inserts into the table wait for the lock meanwhile.
CREATE OR REPLACE FUNCTION tidemark_history_settle_default(parent regclass, period text)
RETURNS bigint
LANGUAGE plpgsql SET TimeZone = 'UTC' AS $tidemark$
DECLARE
    _default regclass;
    _held text;
    _has boolean;
    _at timestamptz;
    _moved bigint;
    _nsp text := (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = parent);
BEGIN
    SELECT p.partition INTO _default FROM tidemark_history_partitions(parent) p
    WHERE p.is_default;
    IF _default IS NULL THEN
        PERFORM tidemark_history_add_default(parent);
        RETURN 0;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', _default) INTO _has;
    IF NOT _has THEN
        RETURN 0;
    END IF;
    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', parent);
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, _default);
    _held := format('%s.%I', _nsp, tidemark_history_partition_name(parent, 'settling'));
    EXECUTE format('ALTER TABLE %s RENAME TO %I', _default,
                   tidemark_history_partition_name(parent, 'settling'));
    PERFORM tidemark_history_add_default(parent);
    FOR _at IN EXECUTE format('SELECT DISTINCT date_trunc(%L, history_at, ''UTC'') FROM %s',
                              period, _held) LOOP
        PERFORM tidemark_history_add_partition(parent, period, _at);
    END LOOP;
    EXECUTE format('INSERT INTO %1$s (%2$s) SELECT %2$s FROM %3$s', parent,
                   tidemark_history_columns(parent), _held);
    GET DIAGNOSTICS _moved = ROW_COUNT;
    EXECUTE format('DROP TABLE %s', _held);
    RETURN _moved;
END
$tidemark$;

-- Turn an event table into a range-partitioned one (period given) or back into a plain one
-- (period NULL), keeping its rows and their ids, its columns, checks, indexes, triggers and
-- their comments (pgtrigger's install marks). A partitioned table's primary key is
-- (history_id, history_at), as PostgreSQL requires the partition key in it; history_id
-- stays unique, drawn from one sequence.
CREATE OR REPLACE FUNCTION tidemark_history_rebuild(target text, period text, ahead integer)
RETURNS void
LANGUAGE plpgsql SET TimeZone = 'UTC' AS $tidemark$
DECLARE
    _oid regclass := to_regclass(target);
    _nsp text;
    _name text;
    _kind "char";
    _table text;
    _old text;
    _seq text;
    _pk text;
    _next bigint;
    _at timestamptz;
    _statement text;
    _trigger record;
    _triggers text[] := '{}';
BEGIN
    IF _oid IS NULL THEN
        RAISE EXCEPTION 'Tidemark history: there is no table %.', target;
    END IF;
    SELECT n.nspname, c.relname, c.relkind INTO _nsp, _name, _kind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = _oid;
    IF (period IS NULL AND _kind = 'r') OR (period IS NOT NULL AND _kind = 'p') THEN
        RETURN;
    END IF;
    _table := format('%I.%I', _nsp, _name);
    FOR _trigger IN SELECT tgname, pg_get_triggerdef(oid) AS def,
                           obj_description(oid, 'pg_trigger') AS note
                    FROM pg_trigger WHERE tgrelid = _oid AND NOT tgisinternal
                    AND tgparentid = 0 ORDER BY tgname LOOP
        _triggers := _triggers || _trigger.def;
        IF _trigger.note IS NOT NULL THEN
            _triggers := _triggers || format('COMMENT ON TRIGGER %I ON %s IS %L',
                                             _trigger.tgname, _table, _trigger.note);
        END IF;
    END LOOP;
    SELECT array_agg(replace(pg_get_indexdef(indexrelid), ' ON ONLY ', ' ON '))
           || _triggers INTO _triggers
    FROM pg_index WHERE indrelid = _oid AND NOT indisprimary;
    SELECT conname INTO _pk FROM pg_constraint WHERE conrelid = _oid AND contype = 'p';
    _old := left(_name, 48) || '_tm_rebuild';
    EXECUTE format('ALTER TABLE %s RENAME TO %I', _table, _old);
    _old := format('%I.%I', _nsp, _old);
    EXECUTE format('CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                   'INCLUDING STORAGE INCLUDING COMMENTS) %s', _table, _old,
                   CASE WHEN period IS NULL THEN '' ELSE 'PARTITION BY RANGE (history_at)' END);
    EXECUTE format('ALTER TABLE %s ALTER COLUMN history_id DROP DEFAULT', _table);
    IF period IS NOT NULL THEN
        PERFORM tidemark_history_add_default(_table::regclass);
        FOR _at IN EXECUTE format('SELECT DISTINCT date_trunc(%L, history_at, ''UTC'') FROM %s',
                                  period, _old) LOOP
            PERFORM tidemark_history_add_partition(_table::regclass, period, _at);
        END LOOP;
        FOR i IN 0..ahead LOOP
            PERFORM tidemark_history_add_partition(
                _table::regclass, period,
                date_trunc(period, now(), 'UTC') + (i || ' ' || period)::interval);
        END LOOP;
    END IF;
    EXECUTE format('INSERT INTO %1$s (%2$s) SELECT %2$s FROM %3$s', _table,
                   tidemark_history_columns(_table::regclass), _old);
    EXECUTE format('SELECT coalesce(max(history_id), 0) + 1 FROM %s', _old) INTO _next;
    EXECUTE format('DROP TABLE %s', _old);
    _seq := format('%I.%I', _nsp, left(_name, 48) || '_history_id_seq');
    IF to_regclass(_seq) IS NULL THEN
        EXECUTE format('CREATE SEQUENCE %s', _seq);
    END IF;
    EXECUTE format('ALTER SEQUENCE %s OWNED BY %s.history_id', _seq, _table);
    PERFORM setval(_seq, _next, false);
    EXECUTE format('ALTER TABLE %s ALTER COLUMN history_id SET DEFAULT nextval(%L::regclass)',
                   _table, _seq);
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I PRIMARY KEY (%s)', _table,
                   coalesce(_pk, _name || '_pkey'),
                   CASE WHEN period IS NULL THEN 'history_id' ELSE 'history_id, history_at' END);
    FOREACH _statement IN ARRAY coalesce(_triggers, '{}') LOOP
        EXECUTE _statement;
    END LOOP;
END
$tidemark$;
"""


def literal(value: str) -> str:
    """`value` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"
