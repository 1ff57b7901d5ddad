-- Step 5: which rentals changed, and the weeks each was counted in before and is counted in now.
--
-- New state: every pulled row, plus every quarantined shadow row (re-judged each run because the
-- plausible range moves with the calendar). Old state: the shadow. A deleted rental is a shadow
-- row in a re-pulled bucket that the source no longer has.
--
-- A rental counts when it was not returned before it was rented and both its dates fall from
-- Monday 1970-01-05 up to 52 weeks after the current week; weeks are Monday 00:00 local time,
-- computed here on the rollup server (date_bin over local timestamps, so DST is handled).
--
-- $1 time zone, $2 bucket size
CREATE TEMP TABLE rental_change ON COMMIT DROP AS
WITH plausible AS (
    SELECT timestamp '1970-01-05' AT TIME ZONE $1::text AS from_instant,
           (date_bin(interval '7 days', now() AT TIME ZONE $1::text, timestamp '1970-01-05')
               + interval '53 weeks') AT TIME ZONE $1::text AS until_instant
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
judged AS (
    SELECT c.*,
           c.rental_date >= p.from_instant AND c.rental_date < p.until_instant
           AND (c.return_date IS NULL
                OR (c.return_date >= c.rental_date AND c.return_date < p.until_instant)) AS counted
      FROM candidate AS c
     CROSS JOIN plausible AS p
),
new_state AS (
    SELECT rental_id, rental_date, return_date, inventory_id, last_update,
           CASE WHEN counted THEN date_bin(interval '7 days', rental_date AT TIME ZONE $1::text,
                                           timestamp '1970-01-05')::date END AS rental_week,
           CASE WHEN counted THEN date_bin(interval '7 days', return_date AT TIME ZONE $1::text,
                                           timestamp '1970-01-05')::date END AS return_week
      FROM judged
)
SELECT n.rental_id,
       'upserted'::text AS change,
       o.inventory_id AS old_inventory_id,
       o.rental_date AS old_rental_date,
       o.return_date AS old_return_date,
       o.rental_week AS old_rental_week,
       o.return_week AS old_return_week,
       n.rental_week AS new_rental_week,
       n.return_week AS new_return_week,
       n.rental_date, n.return_date, n.inventory_id, n.last_update
  FROM new_state AS n
  LEFT JOIN rollup.rental_shadow AS o USING (rental_id)
 WHERE (o.rental_date, o.return_date, o.inventory_id, o.last_update, o.rental_week, o.return_week)
       IS DISTINCT FROM
       (n.rental_date, n.return_date, n.inventory_id, n.last_update, n.rental_week, n.return_week)
UNION ALL
SELECT s.rental_id, 'deleted', s.inventory_id, s.rental_date, s.return_date, s.rental_week, s.return_week,
       NULL, NULL, NULL, NULL, NULL, NULL
  FROM rollup.rental_shadow AS s
 WHERE s.rental_id / $2::integer IN (SELECT bucket FROM bucket_fingerprint WHERE differs)
   AND NOT EXISTS (SELECT FROM pulled AS p WHERE p.rental_id = s.rental_id);
