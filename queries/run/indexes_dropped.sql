-- Full build: before the rental shadow and rollup.film_weekly are refilled in bulk, their primary
-- keys and indexes are dropped, their definitions kept in the temporary table dropped_index, and
-- each table's are built again once it is full (indexes_to_restore.sql): building an index over
-- ten million rows takes seconds, maintaining it row by row while they arrive took minutes. The
-- definitions come from the catalog, so the migrations stay the one place they are written.
-- Inside the run's transaction: a failed run gets them back with everything else.
CREATE TEMP TABLE dropped_index ON COMMIT DROP AS
SELECT c.conrelid AS relation,
       1 AS rebuild_order,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) AS rebuild,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_statement
  FROM pg_constraint AS c
 WHERE c.conrelid IN ('rollup.rental_shadow'::regclass, 'rollup.film_weekly'::regclass)
   AND c.contype IN ('p', 'u')
UNION ALL
SELECT i.indrelid, 2, pg_get_indexdef(i.indexrelid), format('DROP INDEX %s', i.indexrelid::regclass)
  FROM pg_index AS i
 WHERE i.indrelid IN ('rollup.rental_shadow'::regclass, 'rollup.film_weekly'::regclass)
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
