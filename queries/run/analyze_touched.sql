-- Like analyze_changes.sql, for steps 8 and 9's tables, before steps 12 and 18 read the events of
-- the days and weeks they list: with statistics the planner reaches a few touched weeks through
-- the shadow's indexes and many (a large change) with one pass.
ANALYZE touched_day, touched_film_week;
