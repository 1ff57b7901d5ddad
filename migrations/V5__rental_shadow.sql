-- The per-rental memory that makes incremental runs exact: for every source rental, the columns
-- the rollup reads and the weeks it was counted in by the last run. A changed rental touches its
-- old weeks (from here) and its new weeks (from the source); a deleted one, its old weeks.
CREATE TABLE rollup.rental_shadow (
    rental_id    integer PRIMARY KEY,
    rental_date  timestamptz NOT NULL,
    return_date  timestamptz,
    inventory_id integer NOT NULL,
    last_update  timestamptz NOT NULL,
    rental_week  date,
    return_week  date,
    CHECK (return_week IS NULL OR rental_week IS NOT NULL),
    CHECK (return_week IS NULL OR return_week >= rental_week)
);
-- Recounting a touched week reads only that week's rentals and returns.
CREATE INDEX rental_shadow_rental_week ON rollup.rental_shadow (rental_week);
CREATE INDEX rental_shadow_return_week ON rollup.rental_shadow (return_week);
-- Quarantined rentals are re-judged every run; they are few, so a partial index finds them.
CREATE INDEX rental_shadow_quarantined ON rollup.rental_shadow (rental_id) WHERE rental_week IS NULL;

COMMENT ON TABLE rollup.rental_shadow IS
    'One row per source rental as the last run saw it (through postgres_fdw), with the weeks it was '
    'counted in. Internal to the incremental refresh: it lets a run find the weeks a changed or deleted '
    'rental was counted in before. Not for analysis; query rollup.weekly_rentals.';
COMMENT ON COLUMN rollup.rental_shadow.last_update IS 'The source row''s last_update when it was last pulled.';
COMMENT ON COLUMN rollup.rental_shadow.rental_week IS
    'Week (Monday, local date) the rental is counted as rented in; null when the rental is quarantined '
    '(returned before rented, or dated outside the plausible range) and counted nowhere.';
COMMENT ON COLUMN rollup.rental_shadow.return_week IS
    'Week the rental is counted as returned in; null when not returned (or quarantined).';
