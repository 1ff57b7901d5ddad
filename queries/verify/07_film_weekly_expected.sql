-- Verify, step 7: rollup.film_weekly's counts as they should be: the same counting rule as step
-- 3, per (film, store) running sums over the spine of step 4 from the pair's first week, rows only
-- for weeks in which something was out, and the copies per pair counted on the source. (The peak
-- and the hours with every copy out need the rentals' instants, which this aggregate does not
-- keep; the tests check them against a brute-force sweep.)
CREATE TEMP TABLE film_weekly_expected ON COMMIT DROP AS
WITH counted AS (
    SELECT p.film_id, p.store_id, p.rental_bucket, p.return_bucket,
           p.rentals - p.returned_before_rented AS rentals
      FROM film_rental_week_pair AS p
     CROSS JOIN (SELECT max(bucket) AS bucket FROM week_bound WHERE plausible) AS last_plausible
     WHERE p.rental_bucket BETWEEN 1 AND last_plausible.bucket
       AND (p.return_bucket IS NULL OR p.return_bucket BETWEEN p.rental_bucket AND last_plausible.bucket)
       AND p.rentals > p.returned_before_rented
),
per_week AS (
    SELECT film_id, store_id, bucket, sum(rented) AS rented, sum(returned) AS returned
      FROM (SELECT film_id, store_id, rental_bucket AS bucket, rentals AS rented, 0 AS returned FROM counted
            UNION ALL
            SELECT film_id, store_id, return_bucket, 0, rentals FROM counted WHERE return_bucket IS NOT NULL) AS event
     GROUP BY film_id, store_id, bucket
),
spine AS (
    SELECT b.bucket, b.week_beginning
      FROM week_bound AS b
     WHERE b.week_beginning BETWEEN (SELECT min(week_beginning) FROM weekly_rentals_expected)
                                AND (SELECT max(week_beginning) FROM weekly_rentals_expected)
),
weekly AS (
    SELECT k.film_id, k.store_id, s.week_beginning,
           coalesce(p.rented, 0) AS rented,
           coalesce(p.returned, 0) AS returned,
           sum(coalesce(p.rented, 0) - coalesce(p.returned, 0))
               OVER (PARTITION BY k.film_id, k.store_id ORDER BY s.bucket ROWS UNBOUNDED PRECEDING) AS outstanding
      FROM (SELECT film_id, store_id, min(bucket) AS first_bucket FROM per_week GROUP BY film_id, store_id) AS k
      JOIN spine AS s ON s.bucket >= k.first_bucket
      LEFT JOIN per_week AS p ON p.film_id = k.film_id AND p.store_id = k.store_id AND p.bucket = s.bucket
),
copies AS (
    SELECT i.film_id, i.store_id, count(*)::integer AS copies FROM source.inventory AS i GROUP BY 1, 2
)
SELECT w.film_id, w.store_id, w.week_beginning,
       w.rented::bigint AS rented_rentals,
       w.returned::bigint AS returned_rentals,
       (w.outstanding - w.rented + w.returned)::bigint AS outstanding_at_start,
       w.outstanding::bigint AS outstanding_rentals,
       coalesce(c.copies, 0) AS copies
  FROM weekly AS w
  LEFT JOIN copies AS c USING (film_id, store_id)
 WHERE w.outstanding + w.returned > 0;
