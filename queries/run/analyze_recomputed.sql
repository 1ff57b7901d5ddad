-- Like analyze_changes.sql, for the flows steps 13 and 19 computed: without statistics the planner
-- takes them for thousands of rows and plans the writes (steps 14 and 20) with scans of the whole
-- stored table instead of look-ups by key.
ANALYZE day_flow_computed, film_week_flow_computed;
