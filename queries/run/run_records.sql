-- The most recent rows of rollup.etl_run, newest first, every column the program reads, for
-- src/run/record.rs RunRecord (status, and the tests). duration_s of a run still running is the
-- time it has taken so far. $1 how many.
SELECT run_id, started_at, finished_at, status, mode, time_zone, through, source_watermark,
       extract(epoch FROM coalesce(finished_at, clock_timestamp()) - started_at)::float8 AS duration_s,
       reconciled, delete_check, capture_generation,
       rows_pulled, buckets_compared, buckets_repulled,
       rentals_changed, rentals_deleted, rentals_counted, rentals_quarantined, copies_changed,
       days_touched, weeks_touched, weeks_recomputed, weeks_inserted, weeks_updated, weeks_deleted,
       film_stores_recomputed, film_weeks_recomputed, film_weeks_written,
       data_issues, error
  FROM rollup.etl_run
 ORDER BY run_id DESC
 LIMIT $1;
