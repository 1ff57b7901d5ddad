-- Step 2: the source rentals changed since the last run (the cursor), or all of them.
--
-- $1 is the cutoff: the previous run's watermark minus the lookback. $2 false (a full build, whose
-- rentals 02_full_rental_shadow copied already) leaves the table empty: the one-time filter
-- never opens the foreign scan.
-- It reaches the source as a bound parameter (Remote SQL: `WHERE ((last_update >= $1))`). It is
-- wrapped in a sub-select because COALESCE (like timestamptz - interval) is not shipped: written
-- straight into the WHERE clause it would make postgres_fdw fetch every row and filter here.
-- Pagila stamps last_update with now(), the *start* of the writing transaction, so a transaction
-- that began before the previous run read the source but committed after it carries a stamp older
-- than that run; the lookback reaches back for such rows, and step 3 catches anything older.
CREATE TEMP TABLE pulled_rental ON COMMIT DROP AS
SELECT r.rental_id, r.rental_date, r.return_date, r.inventory_id, r.last_update
  FROM source.rental AS r
 WHERE r.last_update >= (SELECT coalesce($1::timestamptz, '-infinity'))
   AND $2::boolean;
