-- Step 4, incremental, when the full comparison is due (--reconcile-every): like
-- 04_bucket_fingerprint.ids.sql, with a fingerprint that also binds every rental to its copy and
-- both instants (rollup.rental_hash, rollup.return_hash: inlined by the planner into built-in
-- operators, which postgres_fdw ships), so it also sees what no cursor can: rows changed by a
-- write that bypassed Pagila's last_update trigger, or committed later than the lookback reaches.
-- It reads every rental on the source (not only the primary key), hence only periodically.
--
-- No COALESCE on the source side (not shippable in PostgreSQL 15): a null return_date drops out
-- of return_hash and is counted by `returned`.
-- $1 bucket size
INSERT INTO bucket_fingerprint (bucket, differs)
WITH source_bucket AS (
    SELECT r.rental_id / $1::integer AS bucket,
           count(*) AS rentals,
           sum(r.rental_id) AS id_sum,
           count(r.return_date) AS returned,
           sum(rollup.rental_hash(r.rental_id, r.inventory_id, r.rental_date)) AS rental_hash,
           sum(rollup.return_hash(r.rental_id, r.return_date)) AS return_hash
      FROM source.rental AS r
     GROUP BY 1
),
pulled AS (
    SELECT DISTINCT ON (rental_id) * FROM pulled_rental ORDER BY rental_id
),
expected_bucket AS (
    -- the stored fingerprint, minus what the pulled rentals contributed as the shadow holds them,
    -- plus what they contribute now
    SELECT bucket, sum(rentals) AS rentals, sum(id_sum) AS id_sum, sum(returned) AS returned,
           sum(rental_hash) AS rental_hash, sum(return_hash) AS return_hash
      FROM (SELECT bucket, rentals, id_sum, returned, rental_hash, return_hash FROM rollup.rental_bucket
            UNION ALL
            SELECT s.rental_id / $1::integer, -1, -s.rental_id, -(s.return_date IS NOT NULL)::integer,
                   -rollup.rental_hash(s.rental_id, s.inventory_id, s.rental_date),
                   -coalesce(rollup.return_hash(s.rental_id, s.return_date), 0)
              FROM pulled AS p JOIN rollup.rental_shadow AS s USING (rental_id)
            UNION ALL
            SELECT p.rental_id / $1::integer, 1, p.rental_id, (p.return_date IS NOT NULL)::integer,
                   rollup.rental_hash(p.rental_id, p.inventory_id, p.rental_date),
                   coalesce(rollup.return_hash(p.rental_id, p.return_date), 0)
              FROM pulled AS p) AS laid_over
     GROUP BY bucket
)
SELECT coalesce(s.bucket, e.bucket) AS bucket,
       (coalesce(s.rentals, 0), coalesce(s.id_sum, 0), coalesce(s.returned, 0),
        coalesce(s.rental_hash, 0), coalesce(s.return_hash, 0))
           IS DISTINCT FROM
       (coalesce(e.rentals, 0), coalesce(e.id_sum, 0), coalesce(e.returned, 0),
        coalesce(e.rental_hash, 0), coalesce(e.return_hash, 0)) AS differs
  FROM source_bucket AS s
  FULL JOIN expected_bucket AS e USING (bucket);
