-- Step 22, full build: every rental of the staging shadow, with the rental date of the next counted
-- rental of its copy (what `copy_rented_while_out` compares with), for step 23 to judge. The
-- counted rentals come in copy and time order from the shadow's covering (copy, rental_date) index,
-- so the next one is read, not sorted for; the quarantined ones have none. A temporary view, like
-- step 12's: both kinds of run judge the same way (step 23), only what they read differs.
CREATE TEMP VIEW judged_rental AS
SELECT s.rental_id, s.inventory_id, s.film_id, s.rental_date, s.return_date, s.rental_week,
       lead(s.rental_date) OVER (PARTITION BY s.inventory_id ORDER BY s.rental_date, s.rental_id) AS next_rented
  FROM rollup_build.rental_shadow AS s
 WHERE s.rental_week IS NOT NULL
UNION ALL
SELECT s.rental_id, s.inventory_id, s.film_id, s.rental_date, s.return_date, s.rental_week, NULL
  FROM rollup_build.rental_shadow AS s
 WHERE s.rental_week IS NULL;
