-- Step 14: the (film, store) pairs whose rows are recomputed, each over one or more ranges of
-- weeks: the touched ones (step 7), and, when the spine grew at its end, every pair that still had
-- rentals out in the last week the table had, from the first new week on (its outstanding rentals
-- carry on into the new weeks). Ranges are clipped to the spine (an open end is the spine's last
-- week) and merged where they overlap or meet, so a pair with a correction years ago and a new
-- rental this week is recomputed over those two stretches, not over everything between.
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
),
clipped AS (
    SELECT r.film_id, r.store_id,
           greatest(r.from_week, s.first_week) AS from_week,
           least(coalesce(r.to_week, s.last_week), s.last_week) AS to_week
      FROM ranges AS r
     CROSS JOIN week_spine AS s
     WHERE s.first_week IS NOT NULL
       AND greatest(r.from_week, s.first_week) <= least(coalesce(r.to_week, s.last_week), s.last_week)
),
reach AS (
    -- how far the pair's earlier ranges reach: a range starting within a week of that continues
    -- them (its seed, the week before it, would be a week this run recomputes)
    SELECT c.*,
           max(c.to_week) OVER (PARTITION BY c.film_id, c.store_id ORDER BY c.from_week, c.to_week
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reached
      FROM clipped AS c
),
island AS (
    SELECT r.*,
           count(*) FILTER (WHERE r.reached IS NULL OR r.from_week > r.reached + 7)
               OVER (PARTITION BY r.film_id, r.store_id ORDER BY r.from_week, r.to_week
                     ROWS UNBOUNDED PRECEDING) AS island
      FROM reach AS r
)
SELECT film_id, store_id, min(from_week) AS from_week, max(to_week) AS to_week
  FROM island
 GROUP BY film_id, store_id, island;
