-- Step 20, incremental, on a Citus coordinator (docs/citus.md), first part: the flows step 19
-- computed on the workers, which came back into the run's temporary table film_week_flow_computed
-- (the history, step 25, reads them there), sent to their films' shards in the work table
-- rollup.film_week_flow_recomputed (migration V19), each row to one shard, so the write that
-- follows (20_film_week_flow_applied.incremental.citus.sql) joins co-located tables only;
-- analyzed, so the shards' planners know they are a few rows.
DELETE FROM rollup.film_week_flow_recomputed;

INSERT INTO rollup.film_week_flow_recomputed
       (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
        seconds_at_or_above)
SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
       seconds_at_or_above
  FROM film_week_flow_computed;

ANALYZE rollup.film_week_flow_recomputed;
