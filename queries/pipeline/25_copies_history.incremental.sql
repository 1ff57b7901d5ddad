-- Step 25, incremental: the history of the copy counts (rollup.copies_history, migrations/V13)
-- for the (film, store) pairs a copy left or joined (step 7's inventory_change; step 9 has
-- brought rollup.inventory_shadow up to date). A pair whose count changed has its current version
-- closed by this run and, if it still holds copies, a new one opened.
-- $1 run_id
WITH pair AS (
    SELECT DISTINCT p.film_id, p.store_id
      FROM inventory_change AS c
     CROSS JOIN LATERAL (VALUES (c.old_film_id, c.old_store_id), (c.new_film_id, c.new_store_id)) AS p (film_id, store_id)
     WHERE p.film_id IS NOT NULL
),
held AS MATERIALIZED (
    SELECT p.film_id, p.store_id, count(i.inventory_id)::integer AS copies
      FROM pair AS p
      LEFT JOIN rollup.inventory_shadow AS i ON i.film_id = p.film_id AND i.store_id = p.store_id
     GROUP BY p.film_id, p.store_id
),
closed AS (
    UPDATE rollup.copies_history AS h
       SET valid_to_run = $1::bigint
      FROM held AS c
     WHERE h.valid_to_run IS NULL AND (h.film_id, h.store_id) = (c.film_id, c.store_id) AND h.copies <> c.copies
    RETURNING 1
),
opened AS (
    INSERT INTO rollup.copies_history (film_id, store_id, copies, valid_from_run)
    SELECT c.film_id, c.store_id, c.copies, $1::bigint
      FROM held AS c
     WHERE c.copies > 0
       AND NOT EXISTS (SELECT FROM rollup.copies_history AS h
                        WHERE h.valid_to_run IS NULL AND (h.film_id, h.store_id) = (c.film_id, c.store_id)
                          AND h.copies = c.copies)
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
