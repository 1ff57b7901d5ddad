-- The yardstick of the delete check: what counting the source's rentals costs there, asked over a
-- direct connection (so the source may scan in parallel).
SELECT count(*) FROM public.rental;
