-- Step 9, incremental: bring the inventory shadow up to date with the changes of step 7.
WITH deleted AS (
    DELETE FROM rollup.inventory_shadow AS s
     USING inventory_change AS c
     WHERE c.inventory_id = s.inventory_id AND c.new_film_id IS NULL
    RETURNING 1
),
upserted AS (
    INSERT INTO rollup.inventory_shadow AS s (inventory_id, film_id, store_id, last_update)
    SELECT inventory_id, new_film_id, new_store_id, last_update
      FROM inventory_change
     WHERE new_film_id IS NOT NULL
    ON CONFLICT (inventory_id) DO UPDATE
       SET film_id = excluded.film_id, store_id = excluded.store_id, last_update = excluded.last_update
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted)::integer AS copies_changed,
       (SELECT count(*) FROM deleted)::integer AS copies_deleted;
