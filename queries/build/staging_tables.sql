-- Full build, before the source is read: empty tables of the published ones' shape in schema
-- rollup_build, which the build fills beside the published tables (readers go on seeing those)
-- and publish.sql swaps in. The two large ones get their keys and indexes after the data is in
-- (staging_index_statements.sql); the small ones have theirs from the start.
CREATE SCHEMA rollup_build;
COMMENT ON SCHEMA rollup_build IS
    'A full build in progress (or one that died: the next run drops it). Never read by anything but the build.';
CREATE TABLE rollup_build.rental_shadow (LIKE rollup.rental_shadow INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
CREATE TABLE rollup_build.film_week_flow (LIKE rollup.film_week_flow INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
CREATE TABLE rollup_build.inventory_shadow (LIKE rollup.inventory_shadow INCLUDING ALL);
CREATE TABLE rollup_build.film (LIKE rollup.film INCLUDING ALL);
CREATE TABLE rollup_build.rental_bucket (LIKE rollup.rental_bucket INCLUDING ALL);
CREATE TABLE rollup_build.day_flow (LIKE rollup.day_flow INCLUDING ALL);
CREATE TABLE rollup_build.data_issue (LIKE rollup.data_issue INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
-- On a Citus coordinator (migration V15), the staging per-film flows are distributed like the
-- published ones, co-located with them, so the swap (partitions_swapped.sql) stays catalog-only
-- and the flows are written straight into the workers' shards. Beside them, on Citus only, the
-- counted events (rollup.film_week_event, migration V17), distributed by film and co-located with
-- the flows: the build copies them here from the staging rental shadow, which stays on the
-- coordinator (docs/citus.md), sweeps them on the workers, one task per shard
-- (pipeline/18_film_week_event.citus.sql, 20_film_week_flow_applied.citus.sql), and publishes them
-- for the incremental runs to sweep; src/run/full_build.rs takes the table's presence for "sweep on
-- the workers". A rental of a copy the inventory lacks has no film and is not swept, as on one
-- server. Nothing on plain PostgreSQL.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        PERFORM create_distributed_table('rollup_build.film_week_flow', 'film_id',
                                         colocate_with => 'rollup.film_week_flow');
        CREATE TABLE rollup_build.film_week_event
            (LIKE rollup.film_week_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
        PERFORM create_distributed_table('rollup_build.film_week_event', 'film_id',
                                         colocate_with => 'rollup_build.film_week_flow');
    END IF;
END
$$;
