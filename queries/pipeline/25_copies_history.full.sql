-- Step 25, full build (publishing): the history of the copy counts (rollup.copies_history,
-- migrations/V13) against the rebuilt rollup.inventory_shadow: versions whose count differs are
-- closed by this run, and counts no current version has are opened by it.
-- $1 run_id
WITH held AS MATERIALIZED (
    SELECT film_id, store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow
     GROUP BY film_id, store_id
),
closed AS (
    UPDATE rollup.copies_history AS h
       SET valid_to_run = $1::bigint
     WHERE h.valid_to_run IS NULL
       AND NOT EXISTS (SELECT FROM held AS c
                        WHERE (c.film_id, c.store_id, c.copies) = (h.film_id, h.store_id, h.copies))
    RETURNING 1
),
opened AS (
    INSERT INTO rollup.copies_history (film_id, store_id, copies, valid_from_run)
    SELECT c.film_id, c.store_id, c.copies, $1::bigint
      FROM held AS c
     WHERE NOT EXISTS (SELECT FROM rollup.copies_history AS h
                        WHERE h.valid_to_run IS NULL AND (h.film_id, h.store_id, h.copies) = (c.film_id, c.store_id, c.copies))
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
