-- How many source rows step 3 received, and how many rentals were counted or quarantined.
SELECT (SELECT count(*) FROM rental_week_pair) AS rows_pulled,
       (SELECT coalesce(sum(rentals), 0) FROM counted_rental_week_pair)::bigint AS rentals_counted,
       ((SELECT coalesce(sum(rentals), 0) FROM rental_week_pair)
        - (SELECT coalesce(sum(rentals), 0) FROM counted_rental_week_pair))::bigint AS rentals_quarantined;
