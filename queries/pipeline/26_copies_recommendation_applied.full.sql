-- Step 26, full build: rollup.copies_recommendation for every stocked (film, store), made at the
-- end of the spine's last week by the one method, rollup.copies_recommendation_for (migrations/V14),
-- and the basis it was made on. Rows written only where they changed; pairs no longer stocked go.
-- An incremental run whose basis changed (queries/run/recommendation_basis.sql: another service
-- level, or the window moved) runs this statement too: every pair reads other weeks. The basis
-- stored is the one that file computed ($3), so the two cannot disagree.
-- $1 run id, $2 service level (0 < level <= 1, checked by the runner), $3 the window's weeks
WITH known AS (
    SELECT max(week_beginning) AS through FROM rollup.weekly_rentals
),
fresh AS MATERIALIZED (
    SELECT r.*
      FROM known
     CROSS JOIN LATERAL rollup.copies_recommendation_for(known.through, $2::float8) AS r
),
deleted AS (
    DELETE FROM rollup.copies_recommendation AS c
     WHERE NOT EXISTS (SELECT FROM fresh AS f WHERE f.film_id = c.film_id AND f.store_id = c.store_id)
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
),
basis AS (
    INSERT INTO rollup.copies_recommendation_basis AS b (service_level, window_weeks, run_id)
    VALUES ($2::float8, $3::date[], $1::bigint)
    ON CONFLICT (only_row) DO UPDATE
       SET service_level = excluded.service_level, window_weeks = excluded.window_weeks, run_id = excluded.run_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM fresh)::integer AS pairs_recommended,
       ((SELECT count(*) FROM written) + (SELECT count(*) FROM deleted))::integer AS pairs_written,
       (SELECT count(*) FROM basis) = 1 AS every_pair;
