-- Step 14: the (film, store) pairs whose rows are recomputed: the touched ones (step 7), and,
-- when the spine grew at its end, every pair that still had rentals out in the last week the table
-- had, whose outstanding rentals now carry on into the new weeks. Each is recomputed over its
-- whole history: a pair's rows are few next to the table, and its running sums start at its
-- first rental.
CREATE TEMP TABLE recomputed_film_store ON COMMIT DROP AS
SELECT film_id, store_id FROM touched_film_store
UNION
SELECT w.film_id, w.store_id
  FROM rollup.film_weekly AS w
 WHERE w.week_beginning = (SELECT max(week_beginning) FROM rollup.film_weekly)
   AND w.outstanding_rentals > 0
   AND w.week_beginning < (SELECT last_week FROM week_spine);
