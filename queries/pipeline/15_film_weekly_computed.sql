-- Step 15: the weekly rows of the recomputed (film, store) pairs.
--
-- A rental belongs to the film and store of its copy (the inventory shadow, as it is now). Per
-- pair, one pass over its events in time order (+1 at rental_date, -1 at return_date) gives the
-- number out after each event and the instant of the next one; grouped by week, that is the
-- week's counts, its peak and the time with at least `copies` rentals out after its first event.
-- Returns sort before rentals at the same instant, so the number out after an instant's last
-- event is the instant's netted value, the values in between are never above it, and the spans
-- between events of one instant are empty: a rental is out at t when rental_date < t <=
-- return_date, so a return and a rental at the same instant never overlap. Between two events
-- the number out does not change; a span is cut at the end of its week. Running sums over the
-- spine from the pair's first week carry the weeks without events. Only weeks in which something
-- was out are kept.
--
-- $1 time zone
CREATE TEMP TABLE film_weekly_computed ON COMMIT DROP AS
WITH copies AS (
    SELECT i.film_id, i.store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow AS i
      JOIN recomputed_film_store AS k USING (film_id, store_id)
     GROUP BY i.film_id, i.store_id
),
event AS (
    SELECT i.film_id, i.store_id, s.rental_week AS week, s.rental_date AS at, 1 AS delta
      FROM recomputed_film_store AS k
      JOIN rollup.inventory_shadow AS i USING (film_id, store_id)
      JOIN rollup.rental_shadow AS s ON s.inventory_id = i.inventory_id
     WHERE s.rental_week IS NOT NULL
    UNION ALL
    SELECT i.film_id, i.store_id, s.return_week, s.return_date, -1
      FROM recomputed_film_store AS k
      JOIN rollup.inventory_shadow AS i USING (film_id, store_id)
      JOIN rollup.rental_shadow AS s ON s.inventory_id = i.inventory_id
     WHERE s.return_week IS NOT NULL
),
swept AS (
    SELECT film_id, store_id, week, at, delta,
           sum(delta) OVER pair_in_time AS out_after,
           lead(at) OVER pair_in_time AS next_at
      FROM event
    WINDOW pair_in_time AS (PARTITION BY film_id, store_id ORDER BY at, delta ROWS UNBOUNDED PRECEDING)
),
per_week AS (
    SELECT s.film_id, s.store_id, s.week,
           count(*) FILTER (WHERE s.delta = 1) AS rented,
           count(*) FILTER (WHERE s.delta = -1) AS returned,
           max(s.out_after) AS most_out,
           min(s.at) AS first_at,
           sum(least(s.next_at, (s.week + 7)::timestamp AT TIME ZONE $1::text) - s.at)
               FILTER (WHERE c.copies > 0 AND s.out_after >= c.copies) AS all_out_after_first
      FROM swept AS s
      LEFT JOIN copies AS c USING (film_id, store_id)
     GROUP BY s.film_id, s.store_id, s.week
),
grid AS (
    SELECT k.film_id, k.store_id, week::date AS week
      FROM (SELECT film_id, store_id, min(week) AS first_week FROM per_week GROUP BY film_id, store_id) AS k,
           week_spine AS s,
           generate_series(k.first_week, s.last_week, interval '7 days') AS week
),
weekly AS (
    SELECT g.film_id, g.store_id, g.week,
           coalesce(p.rented, 0) AS rented,
           coalesce(p.returned, 0) AS returned,
           sum(coalesce(p.rented, 0) - coalesce(p.returned, 0))
               OVER (PARTITION BY g.film_id, g.store_id ORDER BY g.week ROWS UNBOUNDED PRECEDING) AS outstanding,
           p.most_out, p.first_at, p.all_out_after_first
      FROM grid AS g
      LEFT JOIN per_week AS p USING (film_id, store_id, week)
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
