-- Verify, step 3: which rentals count.
--
-- A rental is counted when its rental_date and (if returned) its return_date fall in plausible weeks
-- (step 1: from the anchor, rollup.counted_from, up to the 52nd week after the current one, where
-- rollup.counted_until ends the range) and it was not returned before it was rented. Any other
-- rental is left out of every count, in every week (rollup.etl_run counts them as quarantined). Because every counted rental is returned no earlier than rented, a return is
-- always counted in the same week as or a later week than its rental; step 4 relies on that for
-- its running sums.
CREATE TEMP TABLE counted_rental_week_pair ON COMMIT DROP AS
SELECT p.rental_bucket,
       p.return_bucket,
       p.rentals - p.returned_before_rented AS rentals
  FROM rental_week_pair AS p
 CROSS JOIN (SELECT max(bucket) AS bucket FROM week_bound WHERE plausible) AS last_plausible
 WHERE p.rental_bucket BETWEEN 1 AND last_plausible.bucket
   AND (p.return_bucket IS NULL OR p.return_bucket BETWEEN p.rental_bucket AND last_plausible.bucket)
   AND p.rentals > p.returned_before_rented;
