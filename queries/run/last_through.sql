-- The --through date of the last successful run: the spine `rollup verify` must reproduce.
SELECT through FROM rollup.etl_run WHERE status = 'succeeded' ORDER BY run_id DESC LIMIT 1;
