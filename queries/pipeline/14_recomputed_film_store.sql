-- Step 14: the (film, store) pairs whose rows are recomputed, each from one week to another: the
-- touched ones (step 7), and, when the spine grew at its end, every pair that still had rentals
-- out in the last week the table had, from the first new week on (its outstanding rentals carry
-- on into the new weeks). Ranges are clipped to the spine; an open end is the spine's last week.
-- Recomputing starts at the earliest week that can have changed: the weeks before are kept as they
-- are, and the running sums are seeded with the stored row of the week before (step 15).
CREATE TEMP TABLE recomputed_film_store ON COMMIT DROP AS
WITH grown AS (
    SELECT w.film_id, w.store_id, w.week_beginning + 7 AS from_week, NULL::date AS to_week
      FROM rollup.film_weekly AS w
     WHERE w.week_beginning = (SELECT max(week_beginning) FROM rollup.film_weekly)
       AND w.outstanding_rentals > 0
       AND w.week_beginning < (SELECT last_week FROM week_spine)
),
ranges AS (
    SELECT film_id, store_id, from_week, to_week FROM touched_film_store
    UNION ALL
    SELECT film_id, store_id, from_week, to_week FROM grown
)
SELECT r.film_id, r.store_id,
       greatest(min(r.from_week), s.first_week) AS from_week,
       CASE WHEN bool_or(r.to_week IS NULL) THEN s.last_week ELSE least(max(r.to_week), s.last_week) END AS to_week
  FROM ranges AS r
 CROSS JOIN week_spine AS s
 WHERE s.first_week IS NOT NULL
 GROUP BY r.film_id, r.store_id, s.first_week, s.last_week;
