-- Step 10, incremental: the (film, store, week)s whose flow can have changed, with the instants the
-- week begins and ends:
--   * for each event of a changed rental (its rental, its return) that moved to another instant,
--     week, film or store, or appeared or vanished: its week in the film and store the shadow
--     holds for it (its copy's owner as the last run saw it) and its week in its copy's owner now
--     (the inventory shadow, step 9 brought up to date); an event that stayed where it was touches
--     nothing;
--   * every counted rental of a copy that moved to another film or store, or was added or removed:
--     its weeks in the copy's old owner (which loses them) and its new one (which gains them).
-- Copies added, removed or moved change the copy count of their pairs too, but copies are not
-- stored in the flow (rollup.film_weekly counts them when read), so nothing else is touched.
-- Runs before the rental shadow is updated (step 11), while it still holds the old state.
-- $1 time zone
CREATE TEMP TABLE touched_film_week ON COMMIT DROP AS
WITH rental_event AS (
    -- a rental's two events, where (film, store, week and instant) each was counted and is now;
    -- an event changed when any of the four did
    SELECT event.*
      FROM rental_change AS r
      LEFT JOIN rollup.inventory_shadow AS now ON now.inventory_id = r.inventory_id
     CROSS JOIN LATERAL (
            VALUES (r.old_film_id, r.old_store_id, r.old_rental_week, r.old_rental_date,
                    now.film_id, now.store_id, r.new_rental_week, r.rental_date),
                   (r.old_film_id, r.old_store_id, r.old_return_week, r.old_return_date,
                    now.film_id, now.store_id, r.new_return_week, r.return_date))
            AS event (old_film_id, old_store_id, old_week, old_at, new_film_id, new_store_id, new_week, new_at)
),
moved_copy AS (
    SELECT * FROM inventory_change
     WHERE (old_film_id, old_store_id) IS DISTINCT FROM (new_film_id, new_store_id)
),
touched AS (
    SELECT touched.*
      FROM rental_event AS e
     CROSS JOIN LATERAL (VALUES (e.old_film_id, e.old_store_id, e.old_week),
                                (e.new_film_id, e.new_store_id, e.new_week)) AS touched (film_id, store_id, week)
     WHERE (e.old_film_id, e.old_store_id, e.old_week, e.old_at)
           IS DISTINCT FROM (e.new_film_id, e.new_store_id, e.new_week, e.new_at)
    UNION ALL
    SELECT owner.film_id, owner.store_id, week.week
      FROM moved_copy AS c
      JOIN rollup.rental_shadow AS s ON s.inventory_id = c.inventory_id
     CROSS JOIN LATERAL (VALUES (c.old_film_id, c.old_store_id), (c.new_film_id, c.new_store_id))
                AS owner (film_id, store_id)
     CROSS JOIN LATERAL (VALUES (s.rental_week), (s.return_week)) AS week (week)
)
SELECT DISTINCT film_id, store_id, week,
       rollup.local_midnight(week, $1::text) AS starts_at,
       rollup.local_midnight(week + 7, $1::text) AS ends_at
  FROM touched
 WHERE film_id IS NOT NULL AND week IS NOT NULL;
