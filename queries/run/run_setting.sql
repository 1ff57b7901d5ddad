-- The run's settings that temporary views need (a view takes no parameters): the time zone of the
-- weeks and days. Created at the start of the run's transaction, dropped at its end with the views.
-- $1 time zone
CREATE TEMP TABLE run_setting ON COMMIT DROP AS SELECT $1::text AS time_zone;
