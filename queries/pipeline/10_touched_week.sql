-- Step 10: the weeks whose numbers can have changed: the old and new rental week and the old and
-- new return week of every counted rental that moved in time. Counts change only when a rental
-- changes weeks, but the peak changes with the instants within the week too. A change that leaves
-- both instants alone (a new inventory_id) touches none. A full build ($1) touches every week
-- from the first rental to the last event, found through the shadow's week indexes.
CREATE TEMP TABLE touched_week ON COMMIT DROP AS
SELECT week::date
  FROM (SELECT min(rental_week) AS first_week,
               greatest(max(rental_week), (SELECT max(return_week) FROM rollup.rental_shadow)) AS last_week
          FROM rollup.rental_shadow) AS s,
       generate_series(s.first_week, s.last_week, interval '7 days') AS week
 WHERE $1::boolean
UNION
SELECT moved.week
  FROM rental_change AS c
 CROSS JOIN LATERAL (VALUES (c.old_rental_week), (c.old_return_week),
                            (c.new_rental_week), (c.new_return_week)) AS moved (week)
 WHERE moved.week IS NOT NULL
   AND (c.old_rental_week, c.old_return_week, c.old_rental_date, c.old_return_date)
       IS DISTINCT FROM (c.new_rental_week, c.new_return_week, c.rental_date, c.return_date);
