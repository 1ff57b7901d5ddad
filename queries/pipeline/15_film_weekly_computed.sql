-- Step 15: the weekly rows of the recomputed (film, store) pairs.
--
-- A rental belongs to the film and store of its copy (the inventory shadow, as it is now). Per
-- pair: counts per week, running sums over the spine from the pair's first week, and a sweep over
-- its events (+1 at rental_date, -1 at return_date, netted per instant) for the peak and for the
-- time with at least `copies` rentals out. Between two instants (or from the week's start to the
-- first, or from the last to the week's end) the number out does not change; a rental is out at
-- t when rental_date < t <= return_date. Only weeks in which something was out are kept.
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
per_week AS (
    SELECT film_id, store_id, week,
           count(*) FILTER (WHERE delta = 1) AS rented,
           count(*) FILTER (WHERE delta = -1) AS returned
      FROM event
     GROUP BY film_id, store_id, week
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
               OVER (PARTITION BY g.film_id, g.store_id ORDER BY g.week ROWS UNBOUNDED PRECEDING) AS outstanding
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
),
instant AS (
    SELECT film_id, store_id, week, at, sum(delta) AS delta
      FROM event
     GROUP BY film_id, store_id, week, at
),
segment AS (
    SELECT w.film_id, w.store_id, w.week, i.at,
           w.at_start + sum(i.delta) OVER next_instants AS out_after,
           coalesce(lead(i.at) OVER next_instants, w.ends_at) - i.at AS lasts
      FROM out_in_week AS w
      JOIN instant AS i USING (film_id, store_id, week)
    WINDOW next_instants AS (PARTITION BY w.film_id, w.store_id, w.week ORDER BY i.at)
),
swept AS (
    SELECT s.film_id, s.store_id, s.week,
           min(s.at) AS first_at,
           max(s.out_after) AS most_out,
           sum(s.lasts) FILTER (WHERE c.copies > 0 AND s.out_after >= c.copies) AS all_out_after_first
      FROM segment AS s
      LEFT JOIN copies AS c USING (film_id, store_id)
     GROUP BY s.film_id, s.store_id, s.week
)
SELECT w.film_id,
       w.store_id,
       w.week AS week_beginning,
       w.rented::bigint AS rented_rentals,
       w.returned::bigint AS returned_rentals,
       w.at_start::bigint AS outstanding_at_start,
       w.outstanding::bigint AS outstanding_rentals,
       greatest(w.at_start, coalesce(s.most_out, 0))::bigint AS peak_outstanding,
       coalesce(c.copies, 0) AS copies,
       round(extract(epoch FROM
                 CASE WHEN c.copies > 0 AND w.at_start >= c.copies
                      THEN coalesce(s.first_at, w.ends_at) - w.starts_at
                      ELSE interval '0' END
                 + coalesce(s.all_out_after_first, interval '0')) / 3600, 3) AS hours_all_copies_out
  FROM out_in_week AS w
  LEFT JOIN swept AS s USING (film_id, store_id, week)
  LEFT JOIN copies AS c USING (film_id, store_id);
