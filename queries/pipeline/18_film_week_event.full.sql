-- Step 18, full build: every counted rental (+1 at rental_date) and return (-1 at return_date) of
-- the staging shadow in the film and store of its copy and its week, for the films of this task
-- (queries/build/film_range.sql: the full build sweeps ranges of films side by side, on several
-- connections); what step 19 sweeps (the rule of rollup.counted_events, migration V17, written out
-- as two scans of the shadow). A rental of a copy the inventory lacks belongs to no film. The
-- rental id is for Citus, which keeps the events (18_film_week_event.citus.sql).
-- A temporary view, like step 12's: both kinds of run count the same way (step 19), only what they
-- read differs.
CREATE TEMP VIEW film_week_event AS
SELECT s.film_id, s.store_id, s.rental_week AS week, s.rental_date AS at, 1 AS delta, s.rental_id
  FROM rollup_build.rental_shadow AS s
 WHERE s.rental_week IS NOT NULL
   AND s.film_id BETWEEN (SELECT from_film FROM film_range) AND (SELECT to_film FROM film_range)
UNION ALL
SELECT s.film_id, s.store_id, s.return_week, s.return_date, -1, s.rental_id
  FROM rollup_build.rental_shadow AS s
 WHERE s.return_week IS NOT NULL
   AND s.film_id BETWEEN (SELECT from_film FROM film_range) AND (SELECT to_film FROM film_range);
