-- Step 11, full build: the bucket fingerprints of the staging shadow the COPY filled (one pass over
-- it; the incremental runs keep rollup.rental_bucket up to date from then on).
-- $1 bucket size
INSERT INTO rollup_build.rental_bucket (bucket, rentals, id_sum, returned, rental_hash, return_hash)
SELECT rental_id / $1::integer,
       count(*),
       sum(rental_id),
       count(return_date),
       sum(rollup.rental_hash(rental_id, inventory_id, rental_date)),
       coalesce(sum(rollup.return_hash(rental_id, return_date)), 0)
  FROM rollup_build.rental_shadow
 GROUP BY 1;
