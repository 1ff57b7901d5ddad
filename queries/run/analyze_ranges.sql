-- Like analyze_changes.sql, for steps 11 and 14's tables, before step 15 joins them: without
-- statistics the planner took the ranges for a handful of rows and joined every swept event to
-- the per-pair copy counts by a nested loop (8 of the 9.5 s of a full build of Pagila).
ANALYZE week_spine, recomputed_film_store;
