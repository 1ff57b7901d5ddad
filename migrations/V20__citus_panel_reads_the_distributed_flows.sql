-- On a Citus coordinator only: rollup.panel_known_at(week, run, window_only) in PL/pgSQL, so that
-- its read of the current flows reaches the workers. Nothing changes on plain PostgreSQL.
--
-- V16's SQL form is inlined by PostgreSQL into the statement that calls it (step 26 through
-- rollup.copies_recommendation_for and rollup.window_known_at, a backtest, a psql query). Citus
-- decides whether a statement is distributed before that inlining, sees only function calls, and
-- leaves it to PostgreSQL, which then reads the coordinator's empty shell of the distributed
-- rollup.film_week_flow: no error and no flows, so every pair's copies to hold came from no
-- demand (Citus issues #981 and #6102; docs/citus.md). A statement PL/pgSQL runs names the view
-- rollup.film_weekly itself, which Citus sees and plans (the view's windows, partitioned by film
-- and store, in one task per shard). Such a statement must not hold a set-returning SQL function
-- either (Citus refuses a distributed statement PostgreSQL inlines one into), so the weeks come
-- first, as arrays, from V16's own functions.
--
-- V16's SQL form stays, renamed, for the history (known_run given): the history tables are
-- local, and its current-tables branch, filtered out by the run given, reads nothing. With the
-- current tables (known_run null) the statement below is V16's first branch with the weeks read
-- from the arrays: the same rows.

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        ALTER FUNCTION rollup.panel_known_at(date, bigint, boolean) RENAME TO panel_known_at_inlined;
        COMMENT ON FUNCTION rollup.panel_known_at_inlined(date, bigint, boolean) IS
            'Citus only: migration V16''s rollup.panel_known_at, which rollup.panel_known_at (V20) calls for '
            'the history (known_run given); with the current tables it would read no flows on Citus.';

        CREATE FUNCTION rollup.panel_known_at(known_through date, known_run bigint, window_only boolean)
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
        LANGUAGE plpgsql STABLE
        AS $function$
        DECLARE
            spine date[];
            window_weeks date[];
        BEGIN
            IF known_run IS NOT NULL THEN
                RETURN QUERY SELECT * FROM rollup.panel_known_at_inlined(known_through, known_run, window_only);
                RETURN;
            END IF;
            spine := ARRAY(SELECT s.week_beginning FROM rollup.weeks_known_at(known_through, NULL) AS s);
            IF window_only THEN
                window_weeks := ARRAY(SELECT rollup.recommendation_weeks(known_through, NULL));
            END IF;
            RETURN QUERY
            SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
                   coalesce(w.peak_outstanding, 0),
                   coalesce(w.hours_all_copies_out, 0),
                   rollup.stocked_out(w.hours_all_copies_out)
              FROM (SELECT i.film_id, i.store_id, count(*)::integer AS copies
                      FROM rollup.inventory_shadow AS i
                     GROUP BY i.film_id, i.store_id) AS h
             CROSS JOIN unnest(spine) AS s (week_beginning)
              LEFT JOIN (SELECT f.film_id, f.store_id, f.week_beginning, f.peak_outstanding, f.hours_all_copies_out
                           FROM rollup.film_weekly AS f
                          WHERE window_weeks IS NULL OR f.week_beginning = ANY (window_weeks)) AS w
                     ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
             WHERE window_weeks IS NULL OR s.week_beginning = ANY (window_weeks);
        END
        $function$;
        COMMENT ON FUNCTION rollup.panel_known_at(date, bigint, boolean) IS
            'Citus form (migration V20) of V16''s rollup.panel_known_at, the same rows: the current flows read '
            'through rollup.film_weekly in a statement Citus distributes; the history through V16''s form, '
            'rollup.panel_known_at_inlined.';

        -- the copies to hold stored so far were made from no flows: forgetting their basis makes
        -- the next run recompute every pair (queries/run/recommendation_basis.sql)
        DELETE FROM rollup.copies_recommendation_basis;
    END IF;
END
$$;
