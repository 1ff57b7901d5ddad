-- Step 12, full build on a Citus coordinator (docs/citus.md): what step 13 sweeps, as
-- 12_day_event.full.sql, made of the per-instant counts the workers sent
-- (12_instant_count.full.citus.sql) and the events the workers do not keep: those of a rental of a
-- copy the inventory lacks, which has no film (rollup.counted_events), read from the staging shadow
-- on the coordinator through its index on (film_id, ...) with the film null.
CREATE TEMP VIEW day_event AS
SELECT (c.at AT TIME ZONE (SELECT time_zone FROM run_setting))::date AS day, c.at, c.rented, c.returned
  FROM instant_count AS c
UNION ALL
SELECT (s.rental_date AT TIME ZONE (SELECT time_zone FROM run_setting))::date, s.rental_date, 1, 0
  FROM rollup_build.rental_shadow AS s
 WHERE s.film_id IS NULL AND s.rental_week IS NOT NULL
UNION ALL
SELECT (s.return_date AT TIME ZONE (SELECT time_zone FROM run_setting))::date, s.return_date, 0, 1
  FROM rollup_build.rental_shadow AS s
 WHERE s.film_id IS NULL AND s.return_week IS NOT NULL;
