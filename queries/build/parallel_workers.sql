-- The parallel workers the rollup server gives one query: the size of its parallelism when its cores
-- cannot be read.
SELECT current_setting('max_parallel_workers_per_gather')::bigint AS workers;
