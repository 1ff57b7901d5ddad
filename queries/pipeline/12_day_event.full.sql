-- Step 12, full build: every counted rental and return of the staging shadow, on its local day,
-- one row each (rented 1 at rental_date, returned 1 at return_date); what step 13 sweeps. A
-- temporary view: step 13 counts the same way in every kind of run, and only what it reads differs
-- (12_day_event.incremental.sql; on a Citus coordinator 12_day_event.*.citus.sql, whose rows are
-- the counts of an instant). The time zone comes from run_setting (queries/run/run_setting.sql),
-- since a view takes no parameters.
CREATE TEMP VIEW day_event AS
SELECT (s.rental_date AT TIME ZONE (SELECT time_zone FROM run_setting))::date AS day, s.rental_date AS at,
       1 AS rented, 0 AS returned
  FROM rollup_build.rental_shadow AS s
 WHERE s.rental_week IS NOT NULL
UNION ALL
SELECT (s.return_date AT TIME ZONE (SELECT time_zone FROM run_setting))::date, s.return_date, 0, 1
  FROM rollup_build.rental_shadow AS s
 WHERE s.return_week IS NOT NULL;
