-- Sent to the source directly (SOURCE_URL), only when --through is given: the earliest rental, to
-- refuse a --through before it. Rentals before the plausible range ($1, rollup.counted_from in
-- the run's time zone, read from the rollup first: the source has no rollup functions) are
-- quarantined by every run, so they do not count as the first rental here either. One index probe
-- on Pagila (its unique index on rental_date, inventory_id, customer_id); a scan of the table
-- where there is no such index.
-- $1 the first instant counted
SELECT min(rental_date) AS first_rental
  FROM public.rental
 WHERE rental_date >= $1::timestamptz;
