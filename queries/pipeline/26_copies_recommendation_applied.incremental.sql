-- Step 26, incremental: rollup.copies_recommendation brought up to date at the cost of the change,
-- when the basis the stored rows were made on is this run's (queries/run/recommendation_basis.sql:
-- the service level, and the weeks of the window, rollup.recommendation_weeks). A pair's
-- recommendation reads its own weeks, its copies and that basis, so only the pairs whose rentals
-- or copies changed are recomputed: those of a changed rental (where the shadow counted it,
-- step 6, and its copy's owner now) and those of a copy added, removed or moved (step 7). When the
-- basis differs, every pair reads other weeks and the run takes the full build's statement
-- (26_copies_recommendation_applied.full.sql) instead: one pass over every pair, planned for it.
-- Same method (rollup.copies_recommendation_for, migrations/V14) and writes as that statement, so
-- a run leaves what a rebuild would.
-- $1 run id, $2 service level (0 < level <= 1, checked by the runner)
WITH known AS (
    SELECT max(week_beginning) AS through FROM rollup.weekly_rentals
),
pair AS (
    -- the pairs whose rentals or copies changed
    SELECT r.old_film_id AS film_id, r.old_store_id AS store_id
      FROM rental_change AS r WHERE r.old_film_id IS NOT NULL
    UNION
    SELECT i.film_id, i.store_id
      FROM rental_change AS r JOIN rollup.inventory_shadow AS i ON i.inventory_id = r.inventory_id
    UNION
    SELECT c.old_film_id, c.old_store_id FROM inventory_change AS c WHERE c.old_film_id IS NOT NULL
    UNION
    SELECT c.new_film_id, c.new_store_id FROM inventory_change AS c WHERE c.new_film_id IS NOT NULL
),
fresh AS MATERIALIZED (
    -- the touched pairs one at a time: the method's filter on film_id and store_id reaches the
    -- pair's own rows. OFFSET 0 keeps the filter inside: pulled up into a join, it let the planner
    -- compute every pair and keep the touched ones (2.5 s at 1M rentals for one pair, against 5 ms)
    SELECT r.*
      FROM pair AS p
     CROSS JOIN known
     CROSS JOIN LATERAL (SELECT * FROM rollup.copies_recommendation_for(known.through, $2::float8) AS f
                          WHERE f.film_id = p.film_id AND f.store_id = p.store_id
                         OFFSET 0) AS r
),
deleted AS (
    -- a recomputed pair that got no row: no longer stocked
    DELETE FROM rollup.copies_recommendation AS c
     USING pair AS p
     WHERE c.film_id = p.film_id AND c.store_id = p.store_id
       AND NOT EXISTS (SELECT FROM fresh AS f WHERE f.film_id = c.film_id AND f.store_id = c.store_id)
    RETURNING 1
),
written AS (
    INSERT INTO rollup.copies_recommendation AS c
           (film_id, store_id, service_level, copies_held, copies_next_week, copies_next_4_weeks,
            expected_hours_all_copies_out, stockout_week_share, expected_idle_copies, weeks_seen,
            window_from, window_through, censored_weeks, peak_seen, run_id)
    SELECT film_id, store_id, $2::float8, copies_held, copies_next_week, copies_next_4_weeks,
           expected_hours_all_copies_out, stockout_week_share, expected_idle_copies, weeks_seen,
           window_from, window_through, censored_weeks, peak_seen, $1::bigint
      FROM fresh
    ON CONFLICT (film_id, store_id) DO UPDATE
       SET service_level = excluded.service_level, copies_held = excluded.copies_held,
           copies_next_week = excluded.copies_next_week, copies_next_4_weeks = excluded.copies_next_4_weeks,
           expected_hours_all_copies_out = excluded.expected_hours_all_copies_out,
           stockout_week_share = excluded.stockout_week_share, expected_idle_copies = excluded.expected_idle_copies,
           weeks_seen = excluded.weeks_seen, window_from = excluded.window_from,
           window_through = excluded.window_through, censored_weeks = excluded.censored_weeks,
           peak_seen = excluded.peak_seen, run_id = excluded.run_id
     WHERE (c.service_level, c.copies_held, c.copies_next_week, c.copies_next_4_weeks,
            c.expected_hours_all_copies_out, c.stockout_week_share, c.expected_idle_copies, c.weeks_seen,
            c.window_from, c.window_through, c.censored_weeks, c.peak_seen)
           IS DISTINCT FROM
           (excluded.service_level, excluded.copies_held, excluded.copies_next_week, excluded.copies_next_4_weeks,
            excluded.expected_hours_all_copies_out, excluded.stockout_week_share, excluded.expected_idle_copies,
            excluded.weeks_seen, excluded.window_from, excluded.window_through, excluded.censored_weeks,
            excluded.peak_seen)
    RETURNING 1
)
SELECT (SELECT count(*) FROM fresh)::integer AS pairs_recommended,
       ((SELECT count(*) FROM written) + (SELECT count(*) FROM deleted))::integer AS pairs_written;
