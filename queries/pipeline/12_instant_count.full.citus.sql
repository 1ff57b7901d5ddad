-- Step 12, full build on a Citus coordinator (docs/citus.md): the shop-wide weekly table from
-- per-worker partial counts. Each shard counts its films' rentals and returns per instant
-- (rollup_build.film_week_event, the events step 18 copied to the workers, sweep done); the
-- coordinator adds up the shards' counts of each instant, and 12_day_event.full.citus.sql puts
-- them on their days for step 13's global pass. The rows that come back are bounded by the
-- instants the history has events at, not by its rentals. Grouped by instant, not by day: a day
-- is a local date, and the time zone is the run's (run_setting, a table the workers cannot read).
CREATE TEMP TABLE instant_count ON COMMIT DROP AS
SELECT at,
       count(*) FILTER (WHERE delta = 1)::integer AS rented,
       count(*) FILTER (WHERE delta = -1)::integer AS returned
  FROM rollup_build.film_week_event
 GROUP BY at;
