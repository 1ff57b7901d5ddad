-- Step 11, incremental: rollup.rental_bucket follows the shadow. Each changed rental takes out what
-- it contributed to its bucket's fingerprint as the shadow held it and puts in what it contributes
-- now; a bucket left empty goes. Work in proportion to the changes, never a scan of the shadow.
-- $1 bucket size
WITH contribution AS (
    SELECT rental_id / $1::integer AS bucket, -1 AS rentals, -rental_id::bigint AS id_sum,
           -(old_return_date IS NOT NULL)::integer AS returned,
           -rollup.rental_hash(rental_id, old_inventory_id, old_rental_date)::bigint AS rental_hash,
           -coalesce(rollup.return_hash(rental_id, old_return_date), 0)::bigint AS return_hash
      FROM rental_change
     WHERE old_rental_date IS NOT NULL
    UNION ALL
    SELECT rental_id / $1::integer, 1, rental_id, (return_date IS NOT NULL)::integer,
           rollup.rental_hash(rental_id, inventory_id, rental_date),
           coalesce(rollup.return_hash(rental_id, return_date), 0)
      FROM rental_change
     WHERE change = 'upserted'
),
delta AS (
    SELECT bucket, sum(rentals) AS rentals, sum(id_sum) AS id_sum, sum(returned) AS returned,
           sum(rental_hash) AS rental_hash, sum(return_hash) AS return_hash
      FROM contribution
     GROUP BY bucket
),
merged AS (
    SELECT d.bucket,
           coalesce(b.rentals, 0) + d.rentals AS rentals,
           coalesce(b.id_sum, 0) + d.id_sum AS id_sum,
           coalesce(b.returned, 0) + d.returned AS returned,
           coalesce(b.rental_hash, 0) + d.rental_hash AS rental_hash,
           coalesce(b.return_hash, 0) + d.return_hash AS return_hash
      FROM delta AS d
      LEFT JOIN rollup.rental_bucket AS b USING (bucket)
),
emptied AS (
    DELETE FROM rollup.rental_bucket AS b
     USING merged AS m
     WHERE m.bucket = b.bucket AND m.rentals = 0
    RETURNING 1
)
INSERT INTO rollup.rental_bucket AS b (bucket, rentals, id_sum, returned, rental_hash, return_hash)
SELECT bucket, rentals, id_sum, returned, rental_hash, return_hash
  FROM merged
 WHERE rentals > 0
ON CONFLICT (bucket) DO UPDATE
   SET rentals = excluded.rentals, id_sum = excluded.id_sum, returned = excluded.returned,
       rental_hash = excluded.rental_hash, return_hash = excluded.return_hash;
