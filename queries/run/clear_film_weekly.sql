-- A full build recomputes every (film, store, week): millions of rows for a large shop. TRUNCATE,
-- unlike rollup.weekly_rentals' DELETE: deleting them row by row cost as much as writing them.
-- Readers of rollup.film_weekly wait for the full build to commit instead of seeing the previous
-- rows meanwhile; a full build happens on the first run, with --full, and when the time zone or
-- the definitions change.
TRUNCATE rollup.film_weekly;
