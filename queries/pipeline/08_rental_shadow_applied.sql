-- Step 8: bring the rental shadow up to date with the changes of step 5.
WITH deleted AS (
    DELETE FROM rollup.rental_shadow AS s
     USING rental_change AS c
     WHERE c.change = 'deleted' AND s.rental_id = c.rental_id
    RETURNING 1
),
upserted AS (
    INSERT INTO rollup.rental_shadow AS s
           (rental_id, rental_date, return_date, inventory_id, last_update, rental_week, return_week)
    SELECT rental_id, rental_date, return_date, inventory_id, last_update, new_rental_week, new_return_week
      FROM rental_change
     WHERE change = 'upserted'
    ON CONFLICT (rental_id) DO UPDATE
       SET rental_date = excluded.rental_date,
           return_date = excluded.return_date,
           inventory_id = excluded.inventory_id,
           last_update = excluded.last_update,
           rental_week = excluded.rental_week,
           return_week = excluded.return_week
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) AS rentals_changed,
       (SELECT count(*) FROM deleted) AS rentals_deleted;
