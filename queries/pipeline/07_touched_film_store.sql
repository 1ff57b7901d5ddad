-- Step 7: the (film, store) pairs whose weekly rows can have changed:
--   * where each rental that moved (to other instants, weeks or copy) was counted before (its old
--     copy, as the last run saw it) and is counted now (its copy now): the peak and the hours
--     with every copy out depend on the instants, not only on the weeks;
--   * both owners of every copy added, removed or moved: their rentals and copy counts change.
-- Runs before the shadows are updated, while they still hold the old state.
CREATE TEMP TABLE touched_film_store ON COMMIT DROP AS
WITH copy_now AS (
    SELECT s.inventory_id, s.film_id, s.store_id
      FROM rollup.inventory_shadow AS s
     WHERE NOT EXISTS (SELECT FROM inventory_change AS c WHERE c.inventory_id = s.inventory_id)
    UNION ALL
    SELECT inventory_id, new_film_id, new_store_id FROM inventory_change WHERE new_film_id IS NOT NULL
),
moved_rental AS (
    SELECT * FROM rental_change
     WHERE (old_rental_week, old_return_week, old_rental_date, old_return_date, old_inventory_id)
           IS DISTINCT FROM (new_rental_week, new_return_week, rental_date, return_date, inventory_id)
),
moved_copy AS (
    SELECT * FROM inventory_change
     WHERE (old_film_id, old_store_id) IS DISTINCT FROM (new_film_id, new_store_id)
)
SELECT DISTINCT film_id, store_id
  FROM (SELECT before.film_id, before.store_id
          FROM moved_rental AS r JOIN rollup.inventory_shadow AS before ON before.inventory_id = r.old_inventory_id
        UNION ALL
        SELECT now.film_id, now.store_id
          FROM moved_rental AS r JOIN copy_now AS now ON now.inventory_id = r.inventory_id
        UNION ALL
        SELECT old_film_id, old_store_id FROM moved_copy WHERE old_film_id IS NOT NULL
        UNION ALL
        SELECT new_film_id, new_store_id FROM moved_copy WHERE new_film_id IS NOT NULL) AS touched;
