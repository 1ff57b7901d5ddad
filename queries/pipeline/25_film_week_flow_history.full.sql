-- Step 25, full build (publishing): the history of the flows (rollup.film_week_flow_history,
-- migrations/V13) against the rebuilt rollup.film_week_flow. Only versions that differ are
-- written: a current version the rebuild does not have with the same values is closed by this
-- run, and a rebuilt row no current version matches becomes a version opened by it. A rebuild
-- that agrees with the published tables (the usual case) adds nothing to the history; the cost is
-- one anti-join of the current versions with the new rows each way. The UPDATE runs first (the
-- outer SELECT reads `closed` first), so the one-current-version index never sees two.
-- $1 run_id
WITH closed AS (
    UPDATE rollup.film_week_flow_history AS h
       SET valid_to_run = $1::bigint
     WHERE h.valid_to_run IS NULL
       AND NOT EXISTS (SELECT FROM rollup.film_week_flow AS w
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
      FROM rollup.film_week_flow AS w
     WHERE NOT EXISTS (SELECT FROM rollup.film_week_flow_history AS h
                        WHERE h.valid_to_run IS NULL
                          AND (h.film_id, h.store_id, h.week_beginning) = (w.film_id, w.store_id, w.week_beginning)
                          AND (h.rented_rentals, h.returned_rentals, h.peak_rise, h.lowest_level, h.seconds_at_or_above)
                              = (w.rented_rentals, w.returned_rentals, w.peak_rise, w.lowest_level, w.seconds_at_or_above))
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
