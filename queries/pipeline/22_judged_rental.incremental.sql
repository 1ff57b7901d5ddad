-- Step 22, incremental: the rentals whose findings this run's changes can have changed, with the
-- rental date of the next counted rental of their copy. A finding depends on the rental's own row,
-- on whether its copy exists, and (`copy_rented_while_out`) on the next counted rental of its
-- copy, so the rentals to judge are: every changed rental; on each copy, the counted rental just
-- before the place a changed rental left and the place it entered (their next rental changed);
-- and every rental of a copy added or removed. Each is reached through the shadow's
-- (copy, rental_date) index: the change's neighbours, never a copy's whole history.
-- Runs after step 10, on the new shadow; deleted rentals are not judged (their findings went with them).
-- A table, not a view: step 24 reads it twice (the findings, and the rentals whose old findings
-- are dropped), and each read of a view would look up every neighbour again (1.5 s of 3 s for
-- 50 thousand changed rentals at 10 million).
CREATE TEMP TABLE judged_rental ON COMMIT DROP AS
WITH place AS (
    SELECT old_inventory_id AS inventory_id, old_rental_date AS rental_date, rental_id
      FROM rental_change
     WHERE old_rental_week IS NOT NULL
    UNION
    SELECT inventory_id, rental_date, rental_id
      FROM rental_change
     WHERE new_rental_week IS NOT NULL
),
judged AS (
    -- the changed rentals as step 11 wrote them, the neighbours and the rentals of added or removed
    -- copies as the shadow holds them: each a row, no second look-up
    SELECT c.rental_id, c.inventory_id, i.film_id, c.rental_date, c.return_date, c.new_rental_week AS rental_week
      FROM rental_change AS c
      LEFT JOIN rollup.inventory_shadow AS i ON i.inventory_id = c.inventory_id
     WHERE c.change = 'upserted'
    UNION
    SELECT before.*
      FROM place AS p
     CROSS JOIN LATERAL (SELECT s.rental_id, s.inventory_id, s.film_id, s.rental_date, s.return_date, s.rental_week
                           FROM rollup.rental_shadow AS s
                          WHERE s.inventory_id = p.inventory_id
                            AND (s.rental_date, s.rental_id) < (p.rental_date, p.rental_id)
                            AND s.rental_week IS NOT NULL
                          ORDER BY s.rental_date DESC, s.rental_id DESC
                          LIMIT 1) AS before
    UNION
    SELECT s.rental_id, s.inventory_id, s.film_id, s.rental_date, s.return_date, s.rental_week
      FROM inventory_change AS c
      JOIN rollup.rental_shadow AS s ON s.inventory_id = c.inventory_id
     WHERE (c.old_film_id IS NULL) <> (c.new_film_id IS NULL)
)
SELECT j.*,
       CASE WHEN j.rental_week IS NOT NULL
            THEN (SELECT n.rental_date
                    FROM rollup.rental_shadow AS n
                   WHERE n.inventory_id = j.inventory_id
                     AND (n.rental_date, n.rental_id) > (j.rental_date, j.rental_id)
                     AND n.rental_week IS NOT NULL
                   ORDER BY n.rental_date, n.rental_id
                   LIMIT 1) END AS next_rented
  FROM judged AS j;
