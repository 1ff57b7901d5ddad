-- Step 12, incremental, on a Citus coordinator (docs/citus.md): what step 13 sweeps, as
-- 12_day_event.incremental.sql, made of the touched days' per-instant counts the workers sent
-- (12_instant_count.incremental.citus.sql) and the events the workers do not keep: those of a
-- rental of a copy the inventory lacks, which has no film (rollup.counted_events), read from the
-- shadow on the coordinator through its indexes on (film_id, store_id, instant) with the film null.
CREATE TEMP VIEW day_event AS
SELECT t.day, c.at, c.rented, c.returned
  FROM touched_day AS t
  JOIN instant_count AS c ON c.at >= t.starts_at AND c.at < t.ends_at
UNION ALL
SELECT t.day, e.at, e.rented, e.returned
  FROM touched_day AS t
 CROSS JOIN LATERAL (
        SELECT s.rental_date AS at, 1 AS rented, 0 AS returned
          FROM rollup.rental_shadow AS s
         WHERE s.film_id IS NULL
           AND s.rental_date >= t.starts_at AND s.rental_date < t.ends_at AND s.rental_week IS NOT NULL
        UNION ALL
        SELECT s.return_date, 0, 1
          FROM rollup.rental_shadow AS s
         WHERE s.film_id IS NULL
           AND s.return_date >= t.starts_at AND s.return_date < t.ends_at AND s.return_week IS NOT NULL) AS e;
