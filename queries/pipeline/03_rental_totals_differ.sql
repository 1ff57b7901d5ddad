-- Step 3, incremental: whether anything was deleted from the source. The source counts its
-- rentals and sums their ids (one pushed-down aggregate, which its primary key can answer); the
-- rollup knows what it will hold after this run without scanning the shadow: the totals of
-- rollup.rental_bucket plus the rentals the cursor pulled that the shadow does not have yet.
-- Equal: nothing was deleted, since a delete lowers the count and an insert the cursor did not see
-- raises it (a delete and an unseen insert could leave the count equal, not the sum of the ids).
-- Both sides come from the run's one snapshot of the source, so rentals written while the run
-- reads do not make them differ. Different: step 4 finds the buckets that hold the difference.
SELECT (source.rentals, coalesce(source.id_sum, 0))
           IS DISTINCT FROM (stored.rentals + new.rentals, stored.id_sum + new.id_sum) AS differs
  FROM (SELECT count(*) AS rentals, sum(r.rental_id) AS id_sum FROM source.rental AS r) AS source,
       (SELECT coalesce(sum(rentals), 0) AS rentals, coalesce(sum(id_sum), 0) AS id_sum
          FROM rollup.rental_bucket) AS stored,
       (SELECT count(*) AS rentals, coalesce(sum(p.rental_id), 0) AS id_sum
          FROM (SELECT DISTINCT rental_id FROM pulled_rental) AS p
         WHERE NOT EXISTS (SELECT FROM rollup.rental_shadow AS s WHERE s.rental_id = p.rental_id)) AS new;
