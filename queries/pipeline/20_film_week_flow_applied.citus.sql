-- Steps 19 and 20, full build on a Citus coordinator (docs/citus.md): the flow of every
-- (film, store, week) computed from the distributed copy of the events
-- (18_film_week_event.citus.sql) and written into the staging per-film flows, in one
-- INSERT ... SELECT that Citus runs on the workers as one task per shard: both tables are
-- distributed by film and co-located, and step 19's windows and grouping are partitioned by film,
-- so each shard's flows are computed from the same shard's events, inside the task, and nothing
-- goes through the coordinator.
--
-- The query in the parentheses is step 19's, written once in 19_film_week_flow_computed.sql: the
-- line `-- step 19` below is replaced by that file's query (what its temporary table is made of)
-- when the binary starts (src/queries/mod.rs, which a unit test keeps honest), its parameter $1,
-- the time zone, the same here. The CTE film_week_event below stands in for step 18's temporary view of the same name and columns.
-- The key of the staging flows is built once this is done (build/staging_index_statements.sql).
-- $1 time zone, $2 run_id
INSERT INTO rollup_build.film_week_flow
       (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
        seconds_at_or_above, run_id)
WITH film_week_event AS (
    SELECT film_id, store_id, week, at, delta
      FROM rollup_build.film_week_event
)
SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
       seconds_at_or_above, $2::bigint
  FROM (
-- step 19
       ) AS computed;
