-- Step 18, full build on a Citus coordinator (docs/citus.md): the counted rentals and returns of
-- step 18's full view (18_film_week_event.full.sql, made just before over every film the ranges
-- would cover) copied into rollup_build.film_week_event, the staging table distributed by film and
-- co-located with the staging flows (queries/build/staging_tables.sql). The rental shadow stays on
-- the coordinator; this copy is what lets step 19 sweep each film's events on the worker holding
-- its flows (20_film_week_flow_applied.citus.sql); published, it is what incremental runs sweep
-- (migration V17). The view is the one definition of the full build's events:
-- a rental of a copy the inventory lacks has no film, falls outside every range, and is not swept,
-- as on one server.
INSERT INTO rollup_build.film_week_event (film_id, store_id, week, at, delta, rental_id)
SELECT film_id, store_id, week, at, delta, rental_id
  FROM film_week_event;
