-- Full build: before the rental shadow is refilled by COPY, its primary key and indexes are
-- dropped (their definitions kept in a temporary table) and built again afterwards by
-- shadow_indexes_restored.sql: building an index over ten million sorted rows takes seconds,
-- maintaining four indexes row by row while they arrive took minutes. The definitions are read
-- from the catalog, so the migrations stay the one place they are written. Inside the run's
-- transaction: a failed run gets them back with everything else.
CREATE TEMP TABLE dropped_index ON COMMIT DROP AS
SELECT 1 AS rebuild_order,
       format('ALTER TABLE rollup.rental_shadow ADD CONSTRAINT %I %s', c.conname, pg_get_constraintdef(c.oid)) AS rebuild,
       format('ALTER TABLE rollup.rental_shadow DROP CONSTRAINT %I', c.conname) AS drop_statement
  FROM pg_constraint AS c
 WHERE c.conrelid = 'rollup.rental_shadow'::regclass AND c.contype IN ('p', 'u')
UNION ALL
SELECT 2, pg_get_indexdef(i.indexrelid), format('DROP INDEX rollup.%I', x.relname)
  FROM pg_index AS i
  JOIN pg_class AS x ON x.oid = i.indexrelid
 WHERE i.indrelid = 'rollup.rental_shadow'::regclass
   AND NOT EXISTS (SELECT FROM pg_constraint AS c WHERE c.conindid = i.indexrelid);

DO $$
DECLARE
    statement text;
BEGIN
    FOR statement IN SELECT drop_statement FROM dropped_index ORDER BY rebuild_order DESC LOOP
        EXECUTE statement;
    END LOOP;
END
$$;
