-- Step 10: the weeks whose numbers can have changed: the old and new rental week and the old and
-- new return week of every counted rental that moved in time. Counts change only when a rental
-- changes weeks, but the peak changes with the instants within the week too. A change that leaves
-- both instants alone (a new inventory_id) touches none.
CREATE TEMP TABLE touched_week ON COMMIT DROP AS
SELECT DISTINCT moved.week
  FROM rental_change AS c
 CROSS JOIN LATERAL (VALUES (c.old_rental_week), (c.old_return_week),
                            (c.new_rental_week), (c.new_return_week)) AS moved (week)
 WHERE moved.week IS NOT NULL
   AND (c.old_rental_week, c.old_return_week, c.old_rental_date, c.old_return_date)
       IS DISTINCT FROM (c.new_rental_week, c.new_return_week, c.rental_date, c.return_date);
