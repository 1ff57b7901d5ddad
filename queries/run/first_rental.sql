-- Sent to the source directly (SOURCE_URL), only when --through is given: the earliest rental, to
-- refuse a --through before it. Dates before 1970-01-05 are quarantined by every run, so they do
-- not count as the first rental here either. One index probe on Pagila (its unique index on
-- rental_date, inventory_id, customer_id); a scan of the table where there is no such index.
SELECT min(rental_date) AS first_rental
  FROM public.rental
 WHERE rental_date >= timestamptz '1970-01-05 00:00:00+00';
