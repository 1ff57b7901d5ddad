-- Step 18: data-quality findings for the rentals this run could have changed. A rental's findings
-- depend on its own row and, for `copy_rented_while_out`, on the next counted rental of its copy,
-- so each copy a changed rental left or entered is judged from the counted rental before the
-- earliest changed one on: that one's successor may have changed, the ones before cannot have.
-- Every rental of a copy added, removed or moved is judged (its inventory row changed), and a full
-- build ($2) judges every rental. Deleted rentals lose their findings.
-- $1 run_id, $2 full build
WITH changed_on_copy AS (
    SELECT old_inventory_id AS inventory_id, old_rental_date AS since
      FROM rental_change WHERE old_inventory_id IS NOT NULL
    UNION ALL
    SELECT inventory_id, rental_date FROM rental_change WHERE inventory_id IS NOT NULL
    UNION ALL
    SELECT inventory_id, timestamptz '-infinity' FROM inventory_change
),
touched_copy AS MATERIALIZED (
    -- materialised: inlined into the join below, the look-up of the rental before ran once per
    -- judged rental instead of once per copy
    SELECT c.inventory_id,
           coalesce((SELECT max(p.rental_date) FROM rollup.rental_shadow AS p
                      WHERE p.inventory_id = c.inventory_id AND p.rental_date < c.since
                        AND p.rental_week IS NOT NULL),
                    timestamptz '-infinity') AS judged_from
      FROM (SELECT inventory_id, min(since) AS since FROM changed_on_copy GROUP BY inventory_id) AS c
     WHERE NOT $2::boolean
),
judged AS (
    SELECT s.* FROM rollup.rental_shadow AS s WHERE $2::boolean
    UNION ALL
    SELECT s.*
      FROM rollup.rental_shadow AS s
      JOIN touched_copy AS c ON c.inventory_id = s.inventory_id AND s.rental_date >= c.judged_from
),
found AS (
    SELECT rental_id, 'returned_before_rented' AS kind,
           format('returned %s, before it was rented %s', return_date, rental_date) AS detail
      FROM judged
     WHERE return_date < rental_date
    UNION ALL
    SELECT rental_id, 'implausible_date',
           format('rented %s, returned %s: outside 1970-01-05 .. 52 weeks from now; not counted',
                  rental_date, coalesce(return_date::text, 'never'))
      FROM judged
     WHERE rental_week IS NULL AND (return_date IS NULL OR return_date >= rental_date)
    UNION ALL
    SELECT rental_id, 'unknown_inventory',
           format('inventory_id %s has no inventory row; counted shop-wide, in no film', inventory_id)
      FROM judged AS j
     WHERE NOT EXISTS (SELECT FROM rollup.inventory_shadow AS i WHERE i.inventory_id = j.inventory_id)
    UNION ALL
    SELECT rental_id, 'copy_rented_while_out',
           format('copy %s was rented again %s while this rental (rented %s) was %s',
                  inventory_id, next_rented, rental_date,
                  CASE WHEN return_date IS NULL THEN 'never returned' ELSE 'out until ' || return_date END)
      FROM (SELECT j.rental_id, j.inventory_id, j.rental_date, j.return_date,
                   lead(j.rental_date) OVER (PARTITION BY j.inventory_id ORDER BY j.rental_date, j.rental_id)
                       AS next_rented
              FROM judged AS j
             WHERE j.rental_week IS NOT NULL) AS copy_history
     WHERE next_rented IS NOT NULL AND (return_date IS NULL OR return_date > next_rented)
),
deleted AS (
    -- IN and NOT IN over sub-selects, which PostgreSQL hashes once: an EXISTS per finding would
    -- scan the judged rentals once per finding (minutes at millions of rentals).
    DELETE FROM rollup.data_issue AS d
     WHERE d.rental_id IN (SELECT rental_id FROM rental_change UNION ALL SELECT rental_id FROM judged)
       AND (d.rental_id, d.kind) NOT IN (SELECT rental_id, kind FROM found)
    RETURNING 1
),
upserted AS (
    INSERT INTO rollup.data_issue AS d (rental_id, kind, detail, found_by_run)
    SELECT rental_id, kind, detail, $1 FROM found
    ON CONFLICT (rental_id, kind) DO UPDATE
       SET detail = excluded.detail
     WHERE d.detail IS DISTINCT FROM excluded.detail
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) AS issues_written,
       (SELECT count(*) FROM deleted) AS issues_resolved;
