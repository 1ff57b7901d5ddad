-- What the rollup counts after the run, for rollup.etl_run. Cheap: the weekly table is small and
-- the quarantined rentals have a partial index.
SELECT (SELECT coalesce(sum(rented_rentals), 0) FROM rollup.weekly_rentals)::bigint AS rentals_counted,
       (SELECT count(*) FROM rollup.rental_shadow WHERE rental_week IS NULL) AS rentals_quarantined;
