-- The most recent runs, newest first, counts as bigint for uniform printing. $1 how many
SELECT run_id,
       started_at,
       status,
       mode,
       rows_pulled,
       rentals_changed,
       rentals_deleted,
       weeks_touched::bigint,
       weeks_recomputed::bigint,
       (weeks_inserted + weeks_updated + weeks_deleted)::bigint AS weeks_written,
       extract(epoch FROM finished_at - started_at)::float8 AS duration_s,
       error
  FROM rollup.etl_run
 ORDER BY run_id DESC
 LIMIT $1;
