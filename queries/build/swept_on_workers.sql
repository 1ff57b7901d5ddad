-- Full build: whether the per-film sweep runs on Citus workers, i.e. whether the load phase made
-- the distributed staging events (build/staging_tables.sql decides, on a Citus coordinator only).
SELECT to_regclass('rollup_build.film_week_event') IS NOT NULL AS on_workers;
