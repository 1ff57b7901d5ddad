-- Step 5, incremental, once per bucket whose fingerprints differ (step 4): pull the whole bucket.
--
-- $1 bucket size, $2 bucket. The exact test is `rental_id / $1 = $2`; the range around it lets the
-- source use its primary key instead of scanning the table. Rows already pulled by step 2 come
-- again; step 6 keeps one copy (both come from the same snapshot).
INSERT INTO pulled_rental (rental_id, rental_date, return_date, inventory_id, last_update)
SELECT r.rental_id, r.rental_date, r.return_date, r.inventory_id, r.last_update
  FROM source.rental AS r
 WHERE r.rental_id / $1::integer = $2::integer
   AND r.rental_id > ($2::bigint - 1) * $1::integer
   AND r.rental_id < ($2::bigint + 1) * $1::integer;
