-- Step 11, incremental: bring the rental shadow up to date with the changes of steps 6 and 7: the
-- changed rentals written with the film and store of their copy now (the inventory shadow, step
-- 9), the rentals of a copy that moved to another film or store (or was added or removed) moved
-- with it, the deleted rentals removed, with their data-quality findings.
WITH findings_dropped AS (
    DELETE FROM rollup.data_issue AS d
     USING rental_change AS c
     WHERE c.change = 'deleted' AND d.rental_id = c.rental_id
),
deleted AS (
    DELETE FROM rollup.rental_shadow AS s
     USING rental_change AS c
     WHERE c.change = 'deleted' AND s.rental_id = c.rental_id
    RETURNING 1
),
moved_with_copy AS (
    UPDATE rollup.rental_shadow AS s
       SET film_id = c.new_film_id, store_id = c.new_store_id
      FROM inventory_change AS c
     WHERE s.inventory_id = c.inventory_id
       AND (c.old_film_id, c.old_store_id) IS DISTINCT FROM (c.new_film_id, c.new_store_id)
       AND NOT EXISTS (SELECT FROM rental_change AS r WHERE r.rental_id = s.rental_id)
),
upserted AS (
    INSERT INTO rollup.rental_shadow AS s
           (rental_id, rental_date, return_date, inventory_id, last_update, rental_week, return_week,
            film_id, store_id)
    SELECT c.rental_id, c.rental_date, c.return_date, c.inventory_id, c.last_update, c.new_rental_week,
           c.new_return_week, i.film_id, i.store_id
      FROM rental_change AS c
      LEFT JOIN rollup.inventory_shadow AS i ON i.inventory_id = c.inventory_id
     WHERE c.change = 'upserted'
    ON CONFLICT (rental_id) DO UPDATE
       SET rental_date = excluded.rental_date,
           return_date = excluded.return_date,
           inventory_id = excluded.inventory_id,
           last_update = excluded.last_update,
           rental_week = excluded.rental_week,
           return_week = excluded.return_week,
           film_id = excluded.film_id,
           store_id = excluded.store_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) AS rentals_changed,
       (SELECT count(*) FROM deleted) AS rentals_deleted;
