-- The most recent runs, newest first. $1 how many
SELECT run_id,
       started_at,
       status,
       mode,
       rows_pulled,
       weeks_recomputed,
       weeks_inserted + weeks_updated + weeks_deleted AS weeks_written,
       extract(epoch FROM finished_at - started_at)::float8 AS duration_s,
       error
  FROM rollup.etl_run
 ORDER BY run_id DESC
 LIMIT $1;
