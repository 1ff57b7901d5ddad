-- Step 10: the weeks whose rented or returned counts can have changed: the old and new rental
-- week and the old and new return week of every rental that moved. A change that leaves a rental
-- in the same weeks (a new inventory_id, a return time moved within its week) touches none.
CREATE TEMP TABLE touched_week ON COMMIT DROP AS
SELECT DISTINCT moved.week
  FROM rental_change AS c
 CROSS JOIN LATERAL (VALUES (c.old_rental_week), (c.old_return_week),
                            (c.new_rental_week), (c.new_return_week)) AS moved (week)
 WHERE moved.week IS NOT NULL
   AND (c.old_rental_week, c.old_return_week) IS DISTINCT FROM (c.new_rental_week, c.new_return_week);
