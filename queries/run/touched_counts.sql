-- What an incremental run's changes touched shop-wide, for rollup.etl_run.
SELECT (SELECT count(*) FROM touched_day)::integer AS days_touched,
       (SELECT count(DISTINCT rollup.week_containing(day)) FROM touched_day)::integer AS weeks_touched;
