-- Step 20, incremental: the touched (film, store, week)s' flows into rollup.film_week_flow, only
-- where they differ; a touched week left without events loses its row. Each way is found through
-- the primary key, so a run that touches nothing reads nothing of the table.
--
-- On a Citus coordinator this statement runs with its two temporary tables turned into work tables
-- distributed by film like rollup.film_week_flow (20_film_week_flow_applied.incremental.citus.sql),
-- so it is written in the form Citus runs in each shard: the weeks left without events are found
-- among the touched and computed rows first, rather than in a subquery correlated with the flows,
-- and the new weeks are inserted with ON CONFLICT DO NOTHING (the rows already there are the
-- updated ones).
-- $1 run_id
WITH deleted AS (
    DELETE FROM rollup.film_week_flow AS w
     USING (SELECT t.film_id, t.store_id, t.week
              FROM touched_film_week AS t
             WHERE NOT EXISTS (SELECT FROM film_week_flow_computed AS c
                                WHERE (c.film_id, c.store_id, c.week_beginning) = (t.film_id, t.store_id, t.week)))
           AS t
     WHERE (w.film_id, w.store_id, w.week_beginning) = (t.film_id, t.store_id, t.week)
    RETURNING 1
),
updated AS (
    UPDATE rollup.film_week_flow AS w
       SET rented_rentals = c.rented_rentals,
           returned_rentals = c.returned_rentals,
           peak_rise = c.peak_rise,
           lowest_level = c.lowest_level,
           seconds_at_or_above = c.seconds_at_or_above,
           run_id = $1::bigint
      FROM film_week_flow_computed AS c
     WHERE (c.film_id, c.store_id, c.week_beginning) = (w.film_id, w.store_id, w.week_beginning)
       AND (w.rented_rentals, w.returned_rentals, w.peak_rise, w.lowest_level, w.seconds_at_or_above)
           IS DISTINCT FROM
           (c.rented_rentals, c.returned_rentals, c.peak_rise, c.lowest_level, c.seconds_at_or_above)
    RETURNING 1
),
inserted AS (
    INSERT INTO rollup.film_week_flow
           (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
            seconds_at_or_above, run_id)
    SELECT c.film_id, c.store_id, c.week_beginning, c.rented_rentals, c.returned_rentals, c.peak_rise,
           c.lowest_level, c.seconds_at_or_above, $1::bigint
      FROM film_week_flow_computed AS c
        ON CONFLICT (film_id, store_id, week_beginning) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM touched_film_week)::integer AS film_weeks_recomputed,
       (SELECT count(DISTINCT (film_id, store_id)) FROM touched_film_week)::integer AS film_stores_recomputed,
       (SELECT count(*) FROM deleted)::integer + (SELECT count(*) FROM updated)::integer
           + (SELECT count(*) FROM inserted)::integer AS film_weeks_written;
