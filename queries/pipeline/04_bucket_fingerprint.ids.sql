-- Step 4, incremental, when step 3's totals differ: which buckets of $1 consecutive rental_ids
-- hold the difference. The source counts its rentals and sums their ids per bucket in one
-- pushed-down GROUP BY that its primary key answers (an index-only scan); the same of what the
-- rollup will hold after this run is rollup.rental_bucket with the pulled rows laid over it (no
-- scan of the shadow). A bucket that differs is pulled whole by step 5, and a shadow row missing
-- from it is a delete.
-- $1 bucket size
INSERT INTO bucket_fingerprint (bucket, differs)
WITH source_bucket AS (
    SELECT r.rental_id / $1::integer AS bucket, count(*) AS rentals, sum(r.rental_id) AS id_sum
      FROM source.rental AS r
     GROUP BY 1
),
pulled AS (
    SELECT DISTINCT rental_id FROM pulled_rental
),
expected_bucket AS (
    SELECT bucket, sum(rentals) AS rentals, sum(id_sum) AS id_sum
      FROM (SELECT bucket, rentals, id_sum FROM rollup.rental_bucket
            UNION ALL
            SELECT p.rental_id / $1::integer, 1, p.rental_id
              FROM pulled AS p
             WHERE NOT EXISTS (SELECT FROM rollup.rental_shadow AS s WHERE s.rental_id = p.rental_id)) AS laid_over
     GROUP BY bucket
)
SELECT coalesce(s.bucket, e.bucket) AS bucket,
       (coalesce(s.rentals, 0), coalesce(s.id_sum, 0)) IS DISTINCT FROM (coalesce(e.rentals, 0), coalesce(e.id_sum, 0))
           AS differs
  FROM source_bucket AS s
  FULL JOIN expected_bucket AS e USING (bucket);
