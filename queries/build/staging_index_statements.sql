-- Full build: the statements that give a staging table ($2, e.g. rollup_build.rental_shadow) the
-- primary key and indexes of the partitioned table ($1) it becomes a partition of, written by the
-- server from the catalog (so the migrations stay the one place they are defined). ATTACH
-- PARTITION then adopts them instead of building them under its lock. Each is run on a connection
-- of its own, side by side.
-- $1 partitioned table, $2 staging table
SELECT format('ALTER TABLE %s ADD %s', $2::text, pg_get_constraintdef(c.oid)) AS statement
  FROM pg_constraint AS c
 WHERE c.conrelid = $1::text::regclass AND c.contype = 'p'
UNION ALL
SELECT regexp_replace(pg_get_indexdef(i.indexrelid), ' INDEX \S+ ON ONLY \S+ ', format(' INDEX ON %s ', $2::text))
  FROM pg_index AS i
 WHERE i.indrelid = $1::text::regclass AND NOT i.indisprimary;
