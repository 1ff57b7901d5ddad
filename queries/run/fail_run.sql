-- Written after the run's transaction rolled back, so the failure record survives it.
-- $1 run_id, $2 error
UPDATE rollup.etl_run
   SET status = 'failed', finished_at = clock_timestamp(), error = $2
 WHERE run_id = $1 AND status = 'running';
