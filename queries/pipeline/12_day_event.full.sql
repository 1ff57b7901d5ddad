-- Step 12, full build: every counted rental (+1 at rental_date) and return (-1 at return_date) of
-- the staging shadow, on its local day; what step 13 sweeps. A temporary view: step 13 counts the same way in both kinds
-- of run, and only what it reads differs (12_day_event.incremental.sql). The time zone comes from
-- run_setting (queries/run/run_setting.sql), since a view takes no parameters.
CREATE TEMP VIEW day_event AS
SELECT (s.rental_date AT TIME ZONE (SELECT time_zone FROM run_setting))::date AS day, s.rental_date AS at, 1 AS delta
  FROM rollup_build.rental_shadow AS s
 WHERE s.rental_week IS NOT NULL
UNION ALL
SELECT (s.return_date AT TIME ZONE (SELECT time_zone FROM run_setting))::date, s.return_date, -1
  FROM rollup_build.rental_shadow AS s
 WHERE s.return_week IS NOT NULL;
