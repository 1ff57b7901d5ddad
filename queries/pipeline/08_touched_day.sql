-- Step 8, incremental: the local days whose shop-wide events changed. A rental is two events, its
-- rental and (once returned) its return, each counted at its instant unless the rental is
-- quarantined; an event that moved, appeared or vanished touches the day it was on and the day it
-- is on now. A rental moved to another copy, or an event that stayed where it was, touches no day.
-- Step 13 sweeps exactly these days again.
-- $1 time zone
CREATE TEMP TABLE touched_day ON COMMIT DROP AS
SELECT DISTINCT day,
       rollup.local_midnight(day, $1::text) AS starts_at,
       rollup.local_midnight(day + 1, $1::text) AS ends_at
  FROM (SELECT (at AT TIME ZONE $1::text)::date AS day
          FROM rental_change AS c
         CROSS JOIN LATERAL (
                VALUES (CASE WHEN c.old_rental_week IS NOT NULL THEN c.old_rental_date END,
                        CASE WHEN c.new_rental_week IS NOT NULL THEN c.rental_date END),
                       (CASE WHEN c.old_return_week IS NOT NULL THEN c.old_return_date END,
                        CASE WHEN c.new_return_week IS NOT NULL THEN c.return_date END))
                AS event (was_at, is_at)
         CROSS JOIN LATERAL (VALUES (event.was_at), (event.is_at)) AS touched (at)
         WHERE event.was_at IS DISTINCT FROM event.is_at AND touched.at IS NOT NULL) AS touched_event;
