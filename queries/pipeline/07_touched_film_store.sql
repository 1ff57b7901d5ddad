-- Step 7: the (film, store) pairs whose weekly rows can have changed, and from which week to
-- which (to_week null: to the end of the spine), one row per range (step 14 merges them):
--   * for each rental that moved (to other instants, weeks or copy): the pair of its copy as the
--     last run saw it, from its old rental week to its old return week, and the pair of its copy
--     now, from its new rental week to its new return week (open-ended while it is out). Outside
--     those weeks the rental was out at no moment, before or after, so nothing there changes; the
--     peak and the hours with every copy out depend on the instants, so a move within a week
--     counts too;
--   * both owners of every copy added, removed or moved, over their whole history: their copy
--     counts change, and with them the hours with every copy out in every week.
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
),
touched AS (
    SELECT before.film_id, before.store_id, r.old_rental_week AS from_week, r.old_return_week AS to_week
      FROM moved_rental AS r JOIN rollup.inventory_shadow AS before ON before.inventory_id = r.old_inventory_id
     WHERE r.old_rental_week IS NOT NULL
    UNION ALL
    SELECT now.film_id, now.store_id, r.new_rental_week, r.new_return_week
      FROM moved_rental AS r JOIN copy_now AS now ON now.inventory_id = r.inventory_id
     WHERE r.new_rental_week IS NOT NULL
    UNION ALL
    SELECT old_film_id, old_store_id, date '1970-01-05', NULL FROM moved_copy WHERE old_film_id IS NOT NULL
    UNION ALL
    SELECT new_film_id, new_store_id, date '1970-01-05', NULL FROM moved_copy WHERE new_film_id IS NOT NULL
)
SELECT DISTINCT film_id, store_id, from_week, to_week FROM touched;
