-- Verify, step 4: the weekly table as it should be, computed on the week spine.
--
-- The spine is every week from the first week with a counted rental to the last week with a counted
-- rental or return, or the week containing --through if that is later: no gaps, so a week in which
-- nothing happened still carries the rentals that are out. Outstanding counts are running sums over
-- the spine: out at the end of week W = rented up to W - returned up to W, which holds because every
-- counted rental is returned (if at all) no earlier than rented.
--
-- $1 --through date or null
CREATE TEMP TABLE weekly_rentals_expected ON COMMIT DROP AS
WITH per_week AS (
    SELECT bucket, sum(rented)::bigint AS rented, sum(returned)::bigint AS returned
      FROM (SELECT rental_bucket AS bucket, rentals AS rented, 0 AS returned
              FROM counted_rental_week_pair
            UNION ALL
            SELECT return_bucket, 0, rentals
              FROM counted_rental_week_pair
             WHERE return_bucket IS NOT NULL) AS event
     GROUP BY bucket
),
spine AS (
    SELECT b.bucket, b.week_beginning
      FROM week_bound AS b
     WHERE b.bucket >= (SELECT min(bucket) FROM per_week WHERE rented > 0)
       AND b.bucket <= greatest((SELECT max(bucket) FROM per_week),
                                (SELECT bucket FROM week_bound
                                  WHERE $1::date >= week_beginning AND $1::date < week_beginning + 7))
),
weekly AS (
    SELECT s.week_beginning,
           coalesce(w.rented, 0) AS rented_rentals,
           coalesce(w.returned, 0) AS returned_rentals,
           sum(coalesce(w.rented, 0) - coalesce(w.returned, 0))
               OVER (ORDER BY s.bucket ROWS UNBOUNDED PRECEDING)::bigint AS outstanding_rentals
      FROM spine AS s
      LEFT JOIN per_week AS w USING (bucket)
)
SELECT week_beginning,
       rented_rentals,
       returned_rentals,
       outstanding_rentals - rented_rentals + returned_rentals AS outstanding_at_start,
       outstanding_rentals,
       outstanding_rentals + returned_rentals AS out_during_week
  FROM weekly;
