-- What the run read and found, for rollup.etl_run. Cheap: the weekly table is small and the
-- quarantined rentals have a partial index.
SELECT (SELECT count(*) FROM pulled_rental) AS rows_pulled,
       (SELECT coalesce(sum(rented_rentals), 0) FROM rollup.weekly_rentals)::bigint AS rentals_counted,
       (SELECT count(*) FROM rollup.rental_shadow WHERE rental_week IS NULL) AS rentals_quarantined,
       (SELECT count(*) FROM bucket_fingerprint)::integer AS buckets_compared,
       (SELECT count(*) FROM bucket_fingerprint WHERE differs)::integer AS buckets_repulled,
       (SELECT count(*) FROM touched_week)::integer AS weeks_touched;
