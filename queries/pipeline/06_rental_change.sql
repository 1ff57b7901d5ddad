-- Step 6, incremental: which rentals changed, with what the shadow held of each (its copy and the
-- copy's film and store, its instants, the weeks it was counted in) and what the source holds now.
--
-- New state: every pulled row, plus every quarantined shadow row (judged again each run because
-- the plausible range moves with the calendar). Old state: the shadow, looked up by rental_id one
-- pulled row at a time (the pull is a sliver of the shadow). A deleted rental is a shadow row the
-- source no longer has, among those steps 3-5 made the run look at again: a bucket whose
-- fingerprints differ, or an id the source's delete capture logged.
--
-- The counting rule is rollup.counted_from / rollup.counted_until and rollup.week_beginning
-- (migrations/V9): a rental counts when it was not returned before it was rented and both its
-- dates fall in the plausible range; weeks are Monday 00:00 local time.
--
-- $1 time zone, $2 bucket size
CREATE TEMP TABLE rental_change ON COMMIT DROP AS
WITH plausible AS (
    SELECT rollup.counted_from($1::text) AS from_instant, rollup.counted_until($1::text) AS until_instant
),
pulled AS (
    SELECT DISTINCT ON (rental_id) * FROM pulled_rental ORDER BY rental_id
),
candidate AS (
    SELECT rental_id, rental_date, return_date, inventory_id, last_update FROM pulled
    UNION ALL
    SELECT s.rental_id, s.rental_date, s.return_date, s.inventory_id, s.last_update
      FROM rollup.rental_shadow AS s
     WHERE s.rental_week IS NULL
       AND NOT EXISTS (SELECT FROM pulled AS p WHERE p.rental_id = s.rental_id)
),
new_state AS (
    SELECT c.rental_id, c.rental_date, c.return_date, c.inventory_id, c.last_update,
           CASE WHEN judged.counted THEN rollup.week_beginning(c.rental_date, $1::text) END AS rental_week,
           CASE WHEN judged.counted THEN rollup.week_beginning(c.return_date, $1::text) END AS return_week
      FROM candidate AS c
     CROSS JOIN plausible AS p
     CROSS JOIN LATERAL (
            SELECT c.rental_date >= p.from_instant AND c.rental_date < p.until_instant
                   AND (c.return_date IS NULL
                        OR (c.return_date >= c.rental_date AND c.return_date < p.until_instant)) AS counted)
            AS judged
),
deleted AS (
    SELECT s.*
      FROM bucket_fingerprint AS b
      JOIN rollup.rental_shadow AS s
        ON s.rental_id >= b.bucket * $2::integer AND s.rental_id < (b.bucket + 1) * $2::integer
     WHERE b.differs
       AND NOT EXISTS (SELECT FROM pulled AS p WHERE p.rental_id = s.rental_id)
    UNION
    SELECT s.*
      FROM captured_deletion AS c
      JOIN rollup.rental_shadow AS s USING (rental_id)
     WHERE NOT EXISTS (SELECT FROM pulled AS p WHERE p.rental_id = c.rental_id)
)
SELECT n.rental_id,
       'upserted'::text AS change,
       o.inventory_id AS old_inventory_id,
       o.film_id AS old_film_id,
       o.store_id AS old_store_id,
       o.rental_date AS old_rental_date,
       o.return_date AS old_return_date,
       o.rental_week AS old_rental_week,
       o.return_week AS old_return_week,
       n.rental_week AS new_rental_week,
       n.return_week AS new_return_week,
       n.rental_date, n.return_date, n.inventory_id, n.last_update
  FROM new_state AS n
  -- LIMIT 1 (there is at most one) keeps the look-up a look-up: as a plain join the planner took
  -- the pulled rows' share of the shadow for large enough to read the whole primary key in order
  LEFT JOIN LATERAL (SELECT * FROM rollup.rental_shadow AS s WHERE s.rental_id = n.rental_id LIMIT 1) AS o ON true
 WHERE (o.rental_date, o.return_date, o.inventory_id, o.last_update, o.rental_week, o.return_week)
       IS DISTINCT FROM
       (n.rental_date, n.return_date, n.inventory_id, n.last_update, n.rental_week, n.return_week)
UNION ALL
SELECT rental_id, 'deleted', inventory_id, film_id, store_id, rental_date, return_date, rental_week, return_week,
       NULL, NULL, NULL, NULL, NULL, NULL
  FROM deleted;
