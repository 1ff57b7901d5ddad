-- Step 25, incremental: the history of the touched (film, store, week)s' flows
-- (rollup.film_week_flow_history, migrations/V13). A current version whose values step 20 changed
-- or deleted is closed by this run; the new values become a version opened by it. Both ways go
-- through the touched keys and the indexes on them, so the cost follows what the run recomputed,
-- not the length of the history. The new values are read from step 19's film_week_flow_computed,
-- which step 20 wrote to rollup.film_week_flow for exactly the touched keys (a touched key
-- without a computed row lost its row): the same values, from local tables only, so the step
-- also runs on a Citus coordinator, where rollup.film_week_flow is distributed (docs/citus.md). The UPDATE runs first (the outer SELECT reads `closed` first),
-- so the one-current-version index never sees two.
-- $1 run_id
WITH closed AS (
    UPDATE rollup.film_week_flow_history AS h
       SET valid_to_run = $1::bigint
      FROM touched_film_week AS t
     WHERE h.valid_to_run IS NULL
       AND (h.film_id, h.store_id, h.week_beginning) = (t.film_id, t.store_id, t.week)
       AND NOT EXISTS (SELECT FROM film_week_flow_computed AS w
                        WHERE (w.film_id, w.store_id, w.week_beginning) = (h.film_id, h.store_id, h.week_beginning)
                          AND (w.rented_rentals, w.returned_rentals, w.peak_rise, w.lowest_level, w.seconds_at_or_above)
                              = (h.rented_rentals, h.returned_rentals, h.peak_rise, h.lowest_level, h.seconds_at_or_above))
    RETURNING 1
),
opened AS (
    INSERT INTO rollup.film_week_flow_history
           (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
            seconds_at_or_above, valid_from_run)
    SELECT w.film_id, w.store_id, w.week_beginning, w.rented_rentals, w.returned_rentals, w.peak_rise,
           w.lowest_level, w.seconds_at_or_above, $1::bigint
      FROM film_week_flow_computed AS w
     WHERE NOT EXISTS (SELECT FROM rollup.film_week_flow_history AS h
                        WHERE h.valid_to_run IS NULL
                          AND (h.film_id, h.store_id, h.week_beginning) = (w.film_id, w.store_id, w.week_beginning)
                          AND (h.rented_rentals, h.returned_rentals, h.peak_rise, h.lowest_level, h.seconds_at_or_above)
                              = (w.rented_rentals, w.returned_rentals, w.peak_rise, w.lowest_level, w.seconds_at_or_above))
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
