-- Step 18, incremental: the counted rentals and returns of the (film, store, week)s step 10
-- touched, each pair-week reached by one range on the shadow's (film, store, instant) indexes:
-- the touched weeks' events, however long the pair's history and however many copies it has. The
-- lateral union is evaluated per touched pair-week, so the ranges stay index look-ups even when
-- the planner would misjudge how many rows they hold.
CREATE TEMP VIEW film_week_event AS
SELECT t.film_id, t.store_id, t.week, e.at, e.delta
  FROM touched_film_week AS t
 CROSS JOIN LATERAL (
        SELECT s.rental_date AS at, 1 AS delta
          FROM rollup.rental_shadow AS s
         WHERE s.film_id = t.film_id AND s.store_id = t.store_id
           AND s.rental_date >= t.starts_at AND s.rental_date < t.ends_at
           AND s.rental_week IS NOT NULL
        UNION ALL
        SELECT s.return_date, -1
          FROM rollup.rental_shadow AS s
         WHERE s.film_id = t.film_id AND s.store_id = t.store_id
           AND s.return_date >= t.starts_at AND s.return_date < t.ends_at
           AND s.return_week IS NOT NULL) AS e;
