-- Step 12, incremental: the counted rentals and returns of the days step 8 touched, each day
-- reached by one range on the shadow's index on its instants: a day's events, not the history
-- (evaluated per touched day, like step 18's).
CREATE TEMP VIEW day_event AS
SELECT t.day, e.at, e.delta
  FROM touched_day AS t
 CROSS JOIN LATERAL (
        SELECT s.rental_date AS at, 1 AS delta
          FROM rollup.rental_shadow AS s
         WHERE s.rental_date >= t.starts_at AND s.rental_date < t.ends_at AND s.rental_week IS NOT NULL
        UNION ALL
        SELECT s.return_date, -1
          FROM rollup.rental_shadow AS s
         WHERE s.return_date >= t.starts_at AND s.return_date < t.ends_at AND s.return_week IS NOT NULL) AS e;
