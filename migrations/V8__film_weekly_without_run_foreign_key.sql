-- rollup.film_weekly holds a row per film, store and week: millions for a large shop, all
-- written by a full build. The foreign key from run_id to rollup.etl_run made PostgreSQL check
-- every one of them against etl_run, row by row (8 of the 30 seconds of a full build at one
-- million rentals). The runner writes run_id from the run it is executing, and etl_run rows are
-- never deleted, so the key guarded nothing the runner can get wrong.
ALTER TABLE rollup.film_weekly DROP CONSTRAINT film_weekly_run_id_fkey;

COMMENT ON COLUMN rollup.film_weekly.run_id IS
    'The rollup.etl_run that last wrote this row (not a declared foreign key: see migration V8).';
