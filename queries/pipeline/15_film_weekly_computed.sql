-- Step 15: the weekly rows of the recomputed (film, store) pairs over their ranges of weeks,
-- from_week to to_week (step 14); each range is computed on its own.
--
-- A rental belongs to the film and store of its copy (the inventory shadow, as it is now). The
-- number out when a pair's range begins is the stored outstanding count of the week before (no
-- row: nothing was out). Per pair, one pass over its events of the range in time order (+1 at rental_date, -1 at return_date) gives the
-- number out after each event and the instant of the next one; grouped by week, that is the
-- week's counts, its peak and the time with at least `copies` rentals out after its first event.
-- Returns sort before rentals at the same instant, so the number out after an instant's last
-- event is the instant's netted value, the values in between are never above it, and the spans
-- between events of one instant are empty: a rental is out at t when rental_date < t <=
-- return_date, so a return and a rental at the same instant never overlap. Between two events
-- the number out does not change; a span is cut at the end of its week. Running sums over the
-- range (from its first event, when nothing was out before it) carry the weeks without events.
-- Only weeks in which something was out are kept.
--
-- $1 time zone
CREATE TEMP TABLE film_weekly_computed ON COMMIT DROP AS
WITH copies AS (
    SELECT i.film_id, i.store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow AS i
      JOIN (SELECT DISTINCT film_id, store_id FROM recomputed_film_store) AS k USING (film_id, store_id)
     GROUP BY i.film_id, i.store_id
),
seed AS (
    -- per range: a pair has one for each stretch of weeks step 14 found
    SELECT k.film_id, k.store_id, k.from_week, k.to_week,
           coalesce((SELECT w.outstanding_rentals FROM rollup.film_weekly AS w
                      WHERE (w.film_id, w.store_id, w.week_beginning) = (k.film_id, k.store_id, k.from_week - 7)),
                    0) AS outstanding
      FROM recomputed_film_store AS k
),
event AS (
    SELECT k.film_id, k.store_id, k.from_week, s.rental_week AS week, s.rental_date AS at, 1 AS delta
      FROM recomputed_film_store AS k
      JOIN rollup.inventory_shadow AS i USING (film_id, store_id)
      JOIN rollup.rental_shadow AS s ON s.inventory_id = i.inventory_id
     WHERE s.rental_week BETWEEN k.from_week AND k.to_week
    UNION ALL
    SELECT k.film_id, k.store_id, k.from_week, s.return_week, s.return_date, -1
      FROM recomputed_film_store AS k
      JOIN rollup.inventory_shadow AS i USING (film_id, store_id)
      JOIN rollup.rental_shadow AS s ON s.inventory_id = i.inventory_id
     WHERE s.return_week BETWEEN k.from_week AND k.to_week
),
swept AS (
    SELECT e.film_id, e.store_id, e.from_week, e.week, e.at, e.delta,
           seed.outstanding + sum(e.delta) OVER pair_in_time AS out_after,
           lead(e.at) OVER pair_in_time AS next_at
      FROM event AS e
      JOIN seed USING (film_id, store_id, from_week)
    WINDOW pair_in_time AS (PARTITION BY e.film_id, e.store_id, e.from_week
                            ORDER BY e.at, e.delta ROWS UNBOUNDED PRECEDING)
),
per_week AS (
    SELECT s.film_id, s.store_id, s.from_week, s.week,
           count(*) FILTER (WHERE s.delta = 1) AS rented,
           count(*) FILTER (WHERE s.delta = -1) AS returned,
           max(s.out_after) AS most_out,
           min(s.at) AS first_at,
           sum(least(s.next_at, (s.week + 7)::timestamp AT TIME ZONE $1::text) - s.at)
               FILTER (WHERE c.copies > 0 AND s.out_after >= c.copies) AS all_out_after_first
      FROM swept AS s
      LEFT JOIN copies AS c USING (film_id, store_id)
     GROUP BY s.film_id, s.store_id, s.from_week, s.week
),
grid AS (
    SELECT k.film_id, k.store_id, k.from_week, k.outstanding AS seed, week::date AS week
      FROM (SELECT seed.*,
                   CASE WHEN seed.outstanding > 0 THEN seed.from_week ELSE first_event.week END AS first_week
              FROM seed
              LEFT JOIN (SELECT film_id, store_id, from_week, min(week) AS week
                           FROM per_week GROUP BY film_id, store_id, from_week)
                        AS first_event USING (film_id, store_id, from_week)) AS k,
           generate_series(k.first_week, k.to_week, interval '7 days') AS week
),
weekly AS (
    -- the weeks with events and the grid's weeks, merged by grouping rather than joined: a join of
    -- the two on (film, store, week) was planned as a merge on (film, store) that compared every
    -- week of a pair with every other (minutes at ten million rentals)
    SELECT film_id, store_id, week,
           sum(rented) AS rented,
           sum(returned) AS returned,
           max(seed) + sum(sum(rented) - sum(returned))
               OVER (PARTITION BY film_id, store_id, from_week ORDER BY week ROWS UNBOUNDED PRECEDING)
               AS outstanding,
           max(most_out) AS most_out,
           min(first_at) AS first_at,
           sum(all_out_after_first) AS all_out_after_first
      FROM (SELECT film_id, store_id, from_week, week, rented, returned, NULL::bigint AS seed, most_out,
                   first_at, all_out_after_first
              FROM per_week
            UNION ALL
            SELECT film_id, store_id, from_week, week, 0, 0, seed, NULL, NULL, NULL
              FROM grid) AS week_row
     GROUP BY film_id, store_id, from_week, week
),
out_in_week AS (
    SELECT w.*,
           w.outstanding - w.rented + w.returned AS at_start,
           w.week::timestamp AT TIME ZONE $1::text AS starts_at,
           (w.week + 7)::timestamp AT TIME ZONE $1::text AS ends_at
      FROM weekly AS w
     WHERE w.outstanding + w.returned > 0
)
SELECT w.film_id,
       w.store_id,
       w.week AS week_beginning,
       w.rented::bigint AS rented_rentals,
       w.returned::bigint AS returned_rentals,
       w.at_start::bigint AS outstanding_at_start,
       w.outstanding::bigint AS outstanding_rentals,
       greatest(w.at_start, coalesce(w.most_out, 0))::bigint AS peak_outstanding,
       coalesce(c.copies, 0) AS copies,
       round(extract(epoch FROM
                 CASE WHEN c.copies > 0 AND w.at_start >= c.copies
                      THEN coalesce(w.first_at, w.ends_at) - w.starts_at
                      ELSE interval '0' END
                 + coalesce(w.all_out_after_first, interval '0')) / 3600, 3) AS hours_all_copies_out
  FROM out_in_week AS w
  LEFT JOIN copies AS c USING (film_id, store_id);
