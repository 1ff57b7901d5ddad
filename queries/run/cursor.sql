-- Where this run's cursor starts: the last successful run's watermark minus the lookback ($1).
-- No row (or a null) means there is nothing to continue from: the run must be a full build.
SELECT source_watermark - $1::text::interval AS cutoff
  FROM rollup.etl_run
 WHERE status = 'succeeded' AND source_watermark IS NOT NULL
 ORDER BY run_id DESC
 LIMIT 1;
