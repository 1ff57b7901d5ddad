-- A full build starts the per-film state from nothing: the shadows are pulled again, every
-- finding is judged again, and every pair recomputed. TRUNCATE: these are the runner's own and
-- nobody reads them while a run holds the run lock. (rollup.film is rewritten in place.)
TRUNCATE rollup.rental_shadow, rollup.inventory_shadow, rollup.data_issue;
