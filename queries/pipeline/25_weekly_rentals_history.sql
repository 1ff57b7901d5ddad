-- Step 25: the history of the weekly table (rollup.weekly_rentals_history, migrations/V13)
-- against rollup.weekly_rentals as step 17 left it; compared whole (a row a week: a few hundred).
-- A version that differs or whose week left the spine is closed by this run, new values opened by it.
-- $1 run_id
WITH closed AS (
    UPDATE rollup.weekly_rentals_history AS h
       SET valid_to_run = $1::bigint
     WHERE h.valid_to_run IS NULL
       AND NOT EXISTS (SELECT FROM rollup.weekly_rentals AS w
                        WHERE w.week_beginning = h.week_beginning
                          AND (w.rented_rentals, w.returned_rentals, w.outstanding_at_start, w.outstanding_rentals,
                               w.out_during_week, w.peak_outstanding)
                              IS NOT DISTINCT FROM
                              (h.rented_rentals, h.returned_rentals, h.outstanding_at_start, h.outstanding_rentals,
                               h.out_during_week, h.peak_outstanding))
    RETURNING 1
),
opened AS (
    INSERT INTO rollup.weekly_rentals_history
           (week_beginning, rented_rentals, returned_rentals, outstanding_at_start, outstanding_rentals,
            out_during_week, peak_outstanding, valid_from_run)
    SELECT w.week_beginning, w.rented_rentals, w.returned_rentals, w.outstanding_at_start, w.outstanding_rentals,
           w.out_during_week, w.peak_outstanding, $1::bigint
      FROM rollup.weekly_rentals AS w
     WHERE NOT EXISTS (SELECT FROM rollup.weekly_rentals_history AS h
                        WHERE h.valid_to_run IS NULL AND h.week_beginning = w.week_beginning
                          AND (w.rented_rentals, w.returned_rentals, w.outstanding_at_start, w.outstanding_rentals,
                               w.out_during_week, w.peak_outstanding)
                              IS NOT DISTINCT FROM
                              (h.rented_rentals, h.returned_rentals, h.outstanding_at_start, h.outstanding_rentals,
                               h.out_during_week, h.peak_outstanding))
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
