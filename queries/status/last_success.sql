-- The last successful run: its cursor and how long ago it finished (on the rollup server's clock).
-- The cursor is source_watermark: the rollup server's clock at the start of the run's transaction,
-- before it read the source. The run applied the source's changes stamped before it (a change
-- committed after the run read the source, though stamped earlier, is pulled by the next run's
-- lookback); the next run pulls the ones stamped from it on. No row: never built.
SELECT run_id,
       source_watermark,
       finished_at,
       extract(epoch FROM now() - finished_at)::float8 AS seconds_ago
  FROM rollup.etl_run
 WHERE status = 'succeeded'
 ORDER BY run_id DESC
 LIMIT 1;
