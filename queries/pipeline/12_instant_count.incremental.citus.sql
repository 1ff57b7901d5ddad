-- Step 12, incremental, on a Citus coordinator (docs/citus.md): the per-worker partial counts of
-- the days step 8 touched. Each shard counts its films' rentals and returns per instant of those
-- days, reached through the events' index on their instants (rollup.film_week_event, migration
-- V19; brought up to date by 11_film_week_event_applied.citus.sql), and the coordinator adds up
-- the shards' counts of each instant; 12_day_event.incremental.citus.sql puts them on their days.
-- The touched days, a few rows, go to every shard with the query.
CREATE TEMP TABLE instant_count ON COMMIT DROP AS
SELECT e.at,
       count(*) FILTER (WHERE e.delta = 1)::integer AS rented,
       count(*) FILTER (WHERE e.delta = -1)::integer AS returned
  FROM rollup.film_week_event AS e
  JOIN touched_day AS t ON e.at >= t.starts_at AND e.at < t.ends_at
 GROUP BY e.at;
