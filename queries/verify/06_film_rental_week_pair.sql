-- Verify, step 6: the per-film counterpart of step 2, one aggregate over rental joined to
-- inventory, both joined and grouped on the source (Remote SQL: `... FROM (public.rental r INNER
-- JOIN public.inventory i ...) GROUP BY 1, 2, 3, 4`).
CREATE TEMP TABLE film_rental_week_pair ON COMMIT DROP AS
SELECT i.film_id,
       i.store_id,
       width_bucket(r.rental_date, (SELECT array_agg(starts_at ORDER BY bucket) FROM week_bound)) AS rental_bucket,
       width_bucket(r.return_date, (SELECT array_agg(starts_at ORDER BY bucket) FROM week_bound)) AS return_bucket,
       count(*) AS rentals,
       count(*) FILTER (WHERE r.return_date < r.rental_date) AS returned_before_rented
  FROM source.rental AS r
  JOIN source.inventory AS i ON i.inventory_id = r.inventory_id
 GROUP BY 1, 2, 3, 4;
