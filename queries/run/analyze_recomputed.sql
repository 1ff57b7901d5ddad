-- Like analyze_changes.sql, for what steps 11-15 produced: without statistics the planner takes
-- each temporary table for thousands of rows and plans step 16 with scans of all of
-- rollup.film_weekly (160 ms on Pagila for a run that writes nothing; seconds at millions of rows).
ANALYZE week_spine, recomputed_film_store, film_weekly_computed;
