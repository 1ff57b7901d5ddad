-- Step 12: the weeks whose rows must be recomputed, with their new values.
--
-- Nothing before the earliest touched week can have changed, so recomputing starts there (or at
-- the first spine week the table lacks, when the spine grew) and runs to the last week: rented and
-- returned are recounted from the shadow for touched weeks and taken from the table for the
-- others; the outstanding columns are running sums seeded with the stored outstanding count of
-- the week before the first recomputed one. With nothing touched and the spine unchanged, no week
-- is recomputed.
--
-- The peak is the number out at the week's start plus the most the week's events (+1 at every
-- rental_date, -1 at every return_date, swept in time order) add to it at any moment. A touched
-- week is swept again; an untouched one keeps its events, so its peak moves with its start only,
-- and is the stored peak shifted by the change of the number out at the start. A rental is out at
-- t when rental_date < t <= return_date, so a return and a rental at the same instant never
-- overlap.
CREATE TEMP TABLE weekly_rentals_computed ON COMMIT DROP AS
WITH spine_week AS (
    SELECT week::date AS week
      FROM week_spine AS s,
           generate_series(s.first_week, s.last_week, interval '7 days') AS week
),
first_recomputed AS (
    SELECT greatest(s.first_week, earliest.week) AS week
      FROM week_spine AS s,
           (SELECT least((SELECT min(week) FROM touched_week),
                         (SELECT min(w.week) FROM spine_week AS w
                           WHERE NOT EXISTS (SELECT FROM rollup.weekly_rentals AS t
                                              WHERE t.week_beginning = w.week))) AS week) AS earliest
     WHERE earliest.week IS NOT NULL
),
recomputed_week AS (
    SELECT w.week,
           CASE WHEN touched.week IS NOT NULL
                THEN (SELECT count(*) FROM rollup.rental_shadow AS s WHERE s.rental_week = w.week)
                ELSE coalesce(stored.rented_rentals, 0) END AS rented,
           CASE WHEN touched.week IS NOT NULL
                THEN (SELECT count(*) FROM rollup.rental_shadow AS s WHERE s.return_week = w.week)
                ELSE coalesce(stored.returned_rentals, 0) END AS returned
      FROM spine_week AS w
      JOIN first_recomputed AS f ON w.week >= f.week
      LEFT JOIN touched_week AS touched ON touched.week = w.week
      LEFT JOIN rollup.weekly_rentals AS stored ON stored.week_beginning = w.week
),
seed AS (
    SELECT coalesce((SELECT t.outstanding_rentals
                       FROM rollup.weekly_rentals AS t
                      WHERE t.week_beginning = f.week - 7), 0) AS outstanding
      FROM first_recomputed AS f
),
running AS (
    SELECT r.week, r.rented, r.returned,
           seed.outstanding + sum(r.rented - r.returned)
               OVER (ORDER BY r.week ROWS UNBOUNDED PRECEDING) AS outstanding_rentals
      FROM recomputed_week AS r
     CROSS JOIN seed
),
swept AS (
    -- each touched week's events in time order, returns before rentals at the same instant (see
    -- 15_film_weekly_computed.sql): the running sum is the number out after each event, counted
    -- from the week's start
    SELECT event.week,
           sum(event.delta) OVER (PARTITION BY event.week ORDER BY event.at, event.delta
                                  ROWS UNBOUNDED PRECEDING) AS since_start
      FROM (SELECT s.rental_week AS week, s.rental_date AS at, 1 AS delta
              FROM touched_week AS t JOIN rollup.rental_shadow AS s ON s.rental_week = t.week
            UNION ALL
            SELECT s.return_week, s.return_date, -1
              FROM touched_week AS t JOIN rollup.rental_shadow AS s ON s.return_week = t.week) AS event
),
week_peak AS (
    SELECT week, max(since_start) AS most_added FROM swept GROUP BY week
)
SELECT r.week AS week_beginning,
       r.rented::bigint AS rented_rentals,
       r.returned::bigint AS returned_rentals,
       (r.outstanding_rentals - r.rented + r.returned)::bigint AS outstanding_at_start,
       r.outstanding_rentals::bigint AS outstanding_rentals,
       (r.outstanding_rentals + r.returned)::bigint AS out_during_week,
       (r.outstanding_rentals - r.rented + r.returned
        + CASE WHEN touched.week IS NOT NULL THEN greatest(coalesce(p.most_added, 0), 0)
               ELSE coalesce(stored.peak_outstanding - stored.outstanding_at_start, 0) END)::bigint
           AS peak_outstanding
  FROM running AS r
  LEFT JOIN week_peak AS p USING (week)
  LEFT JOIN touched_week AS touched USING (week)
  LEFT JOIN rollup.weekly_rentals AS stored ON stored.week_beginning = r.week;
