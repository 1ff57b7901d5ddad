-- Step 6: the copies that changed: added, removed, moved to another store or film.
--
-- The inventory is pulled whole every run: it has one row per copy, a few hundredths of the
-- rental table, so a full comparison costs less than keeping a cursor and fingerprints for it,
-- and it sees removed copies without further ado.
CREATE TEMP TABLE inventory_change ON COMMIT DROP AS
WITH pulled AS (
    SELECT i.inventory_id, i.film_id, i.store_id, i.last_update FROM source.inventory AS i
)
SELECT coalesce(p.inventory_id, o.inventory_id) AS inventory_id,
       o.film_id AS old_film_id,
       o.store_id AS old_store_id,
       p.film_id AS new_film_id,
       p.store_id AS new_store_id,
       p.last_update
  FROM pulled AS p
  FULL JOIN rollup.inventory_shadow AS o ON o.inventory_id = p.inventory_id
 WHERE (o.film_id, o.store_id, o.last_update) IS DISTINCT FROM (p.film_id, p.store_id, p.last_update);
