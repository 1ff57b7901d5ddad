-- Step 2, incremental: the source rentals changed since the last run (the cursor).
--
-- $1 is the cutoff: the previous run's watermark minus the lookback. It reaches the source as a
-- bound parameter (Remote SQL: `WHERE ((last_update >= $1))`), so on a source with an index on
-- last_update only the changed rows are read.
-- Pagila stamps last_update with now(), the *start* of the writing transaction, so a transaction
-- that began before the previous run read the source but committed after it carries a stamp older
-- than that run; the lookback reaches back for such rows. Deletes leave no row to pull: step 3
-- finds them.
CREATE TEMP TABLE pulled_rental ON COMMIT DROP AS
SELECT r.rental_id, r.rental_date, r.return_date, r.inventory_id, r.last_update
  FROM source.rental AS r
 WHERE r.last_update >= $1::timestamptz;
