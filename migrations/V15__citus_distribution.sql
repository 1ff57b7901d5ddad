-- On a Citus coordinator (docs/citus.md), the per-film flows are spread over the workers: the table
-- the per-film work writes and the view rollup.film_weekly reads with windows partitioned by film
-- is distributed by film_id, so both run as one task per shard on the workers. Everything else
-- stays a local table of the coordinator: the run history and settings are written once a run, and
-- the shop-wide tables (day_flow, weekly_rentals) have a few hundred rows.
--
-- On plain PostgreSQL (no citus extension in this database) this does nothing at all.
--
-- create_distributed_table works inside the migration's transaction: the table is empty on the
-- first migration, and its partition (rollup_data.film_week_flow, the full build's swap target)
-- is distributed with it, co-located. Later full builds distribute their staging table the same
-- way before filling it (queries/build/staging_tables.sql), so the swap stays catalog-only.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('rollup.film_week_flow', 'film_id');
    END IF;
END
$$;
