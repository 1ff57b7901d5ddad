-- Step 3: reconciliation, for what a cursor cannot see: deleted rows, and rows committed later
-- than the lookback reaches.
--
-- Rentals are grouped into buckets of consecutive rental_ids ($1 ids each). For every bucket the
-- source computes, in one pushed-down GROUP BY, a fingerprint: the number of rentals, of returned
-- ones, and sums of hashes that bind each rental_id to its inventory_id, rental_date and
-- return_date. The same fingerprint of what the rollup will hold after this run (the shadow with
-- step 2's rows laid over it) is computed here. A bucket whose fingerprints differ is pulled whole
-- by step 4, and any shadow row missing from it is a delete.
--
-- Only built-in immutable functions and operators appear in the source side, with no text
-- argument (a collation would stop postgres_fdw from shipping it) and no COALESCE (not shippable
-- in PostgreSQL 15): a null return_date drops out of return_hash and is counted by `returned`.
-- $2 false skips the comparison (a full build, or --no-reconcile): the plan's one-time filter then
-- never opens the foreign scan.
CREATE TEMP TABLE bucket_fingerprint ON COMMIT DROP AS
WITH source_bucket AS (
    SELECT r.rental_id / $1::integer AS bucket,
           count(*) AS rentals,
           count(r.return_date) AS returned,
           sum(hashint8(((r.rental_id::bigint << 32) | (r.inventory_id::bigint & 4294967295))
                        # interval_hash(r.rental_date - timestamptz '2000-01-01 00:00+00')::bigint)) AS rental_hash,
           sum(hashint8((r.rental_id::bigint << 32)
                        # interval_hash(r.return_date - timestamptz '2000-01-01 00:00+00')::bigint)) AS return_hash
      FROM source.rental AS r
     GROUP BY 1
),
expected_rental AS (
    SELECT rental_id, rental_date, return_date, inventory_id FROM pulled_rental
    UNION ALL
    SELECT s.rental_id, s.rental_date, s.return_date, s.inventory_id
      FROM rollup.rental_shadow AS s
     WHERE NOT EXISTS (SELECT FROM pulled_rental AS p WHERE p.rental_id = s.rental_id)
),
expected_bucket AS (
    SELECT e.rental_id / $1::integer AS bucket,
           count(*) AS rentals,
           count(e.return_date) AS returned,
           sum(hashint8(((e.rental_id::bigint << 32) | (e.inventory_id::bigint & 4294967295))
                        # interval_hash(e.rental_date - timestamptz '2000-01-01 00:00+00')::bigint)) AS rental_hash,
           sum(hashint8((e.rental_id::bigint << 32)
                        # interval_hash(e.return_date - timestamptz '2000-01-01 00:00+00')::bigint)) AS return_hash
      FROM expected_rental AS e
     GROUP BY 1
)
SELECT coalesce(s.bucket, e.bucket) AS bucket,
       (s.rentals, s.returned, s.rental_hash, s.return_hash)
           IS DISTINCT FROM (e.rentals, e.returned, e.rental_hash, e.return_hash) AS differs
  FROM source_bucket AS s
  FULL JOIN expected_bucket AS e USING (bucket)
 WHERE $2::boolean;
