-- Step 18, incremental, on a Citus coordinator (docs/citus.md): the counted rentals and returns of
-- the (film, store, week)s step 10 touched, read where they are kept, in the workers' shards of
-- rollup.film_week_event (migration V17, brought up to date by 11_film_week_event_applied.citus.sql),
-- so step 19's windows, partitioned by film, run in the same tasks and only the flows come back.
-- The same events as the single-server form (18_film_week_event.incremental.sql), which reads them
-- from the rental shadow by instant: an event's week is the week its instant falls in.
--
-- The touched weeks go to the work table rollup.film_week_touched (migration V18), distributed by
-- film like the events, so each shard joins only its own touched weeks, through the events'
-- (film, store, week) index; analyzed, so the shards' planners know they are a few rows.
DELETE FROM rollup.film_week_touched;

INSERT INTO rollup.film_week_touched (film_id, store_id, week)
SELECT film_id, store_id, week FROM touched_film_week;

ANALYZE rollup.film_week_touched;

CREATE TEMP VIEW film_week_event AS
SELECT e.film_id, e.store_id, e.week, e.at, e.delta
  FROM rollup.film_week_event AS e
  JOIN rollup.film_week_touched AS t
    ON t.film_id = e.film_id AND t.store_id = e.store_id AND t.week = e.week;
