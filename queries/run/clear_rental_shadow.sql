-- A full build pulls every rental again. TRUNCATE: the shadow is the runner's own, nobody reads it
-- while a run holds the run lock, and deleting millions of rows one by one would only make bloat.
TRUNCATE rollup.rental_shadow;
