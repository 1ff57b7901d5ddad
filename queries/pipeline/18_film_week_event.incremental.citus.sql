-- Step 18, incremental, on a Citus coordinator (docs/citus.md): the counted rentals and returns of
-- the (film, store, week)s step 10 touched, read where they are kept, in the workers' shards of
-- rollup.film_week_event (migration V17, brought up to date by 11_film_week_event_applied.citus.sql),
-- so step 19's windows, partitioned by film, run in the same tasks and only the flows come back.
-- The same events as the single-server form (18_film_week_event.incremental.sql), which reads them
-- from the rental shadow by instant: an event's week is the week its instant falls in. The touched
-- weeks are a local table, joined as a subquery of their own (Citus sends it to the workers as an
-- intermediate result).
CREATE TEMP VIEW film_week_event AS
SELECT e.film_id, e.store_id, e.week, e.at, e.delta
  FROM rollup.film_week_event AS e
  JOIN (SELECT t.film_id, t.store_id, t.week FROM touched_film_week AS t) AS t
    ON t.film_id = e.film_id AND t.store_id = e.store_id AND t.week = e.week;
