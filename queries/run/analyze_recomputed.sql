-- Like analyze_changes.sql, for step 15's result: without statistics the planner takes it for
-- thousands of rows and plans step 16 with scans of all of rollup.film_weekly (160 ms on Pagila
-- for a run that writes nothing; seconds at millions of rows).
ANALYZE film_weekly_computed;
