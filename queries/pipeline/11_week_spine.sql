-- Step 11: the first and last week the table must have: from the week of the earliest counted
-- rental to the week of the latest counted rental or return, or the week containing --through if
-- that is later. Both nulls when no rental counts. The shadow's week indexes make this cheap.
-- $1 --through date or null
CREATE TEMP TABLE week_spine ON COMMIT DROP AS
SELECT events.first_week,
       CASE WHEN events.first_week IS NOT NULL THEN
           greatest(events.last_rental_week, events.last_return_week,
                    date_bin(interval '7 days', $1::date::timestamp, timestamp '1970-01-05')::date)
       END AS last_week
  FROM (SELECT (SELECT min(rental_week) FROM rollup.rental_shadow) AS first_week,
               (SELECT max(rental_week) FROM rollup.rental_shadow) AS last_rental_week,
               (SELECT max(return_week) FROM rollup.rental_shadow) AS last_return_week) AS events;
