-- The most recent runs, newest first, counts as bigint for uniform handling. $1 how many.
-- duration_s of a run still running is the time it has taken so far.
SELECT run_id,
       started_at,
       finished_at,
       status,
       mode,
       time_zone,
       through,
       rows_pulled,
       rentals_counted,
       rentals_quarantined,
       rentals_changed,
       rentals_deleted,
       copies_changed::bigint,
       weeks_touched::bigint,
       weeks_recomputed::bigint,
       (weeks_inserted + weeks_updated + weeks_deleted)::bigint AS weeks_written,
       film_weeks_recomputed::bigint,
       film_weeks_written::bigint,
       data_issues,
       extract(epoch FROM coalesce(finished_at, clock_timestamp()) - started_at)::float8 AS duration_s,
       error
  FROM rollup.etl_run
 ORDER BY run_id DESC
 LIMIT $1;
