-- Step 20, full build: the flows of this task's films into the staging per-film flows (their key
-- is built once every task is done, queries/build/staging_index_statements.sql).
-- $1 run_id
WITH inserted AS (
    INSERT INTO rollup_build.film_week_flow
           (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
            seconds_at_or_above, run_id)
    SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
           seconds_at_or_above, $1::bigint
      FROM film_week_flow_computed
    RETURNING 1
)
SELECT (SELECT count(*) FROM film_week_flow_computed)::integer AS film_weeks_recomputed,
       (SELECT count(DISTINCT (film_id, store_id)) FROM film_week_flow_computed)::integer AS film_stores_recomputed,
       (SELECT count(*) FROM inserted)::integer AS film_weeks_written;
