-- On a Citus coordinator only: the copies to hold for the films a run touched, reading only those
-- films' flows. Nothing changes on plain PostgreSQL.
--
-- An incremental run recomputes the copies to hold of the pairs whose rentals or copies changed
-- (pipeline/26_copies_recommendation_applied.incremental.sql): on one server the filter on each
-- pair reaches its own flows through the inlined SQL functions, a few milliseconds a pair. On
-- Citus, V20's PL/pgSQL rollup.panel_known_at cannot see that filter: each run computed every
-- pair's window on the workers and kept the touched ones (20 s at 10 million rentals, for one
-- changed rental as for fifty thousand). Here the method gets the films to read as an argument
-- (null: every film), passed down to the panel's statement, where Citus prunes the shards and each
-- shard reads those films' flows through its primary key
-- (pipeline/26_copies_recommendation_applied.incremental.citus.sql calls it).
--
-- The two- and three-argument forms become calls of the new ones with null films, so the method
-- (V14), the window (V16) and the Citus panel (V20) each keep one body, now here.

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        CREATE FUNCTION rollup.panel_known_at(known_through date, known_run bigint, window_only boolean,
                                              films integer[])
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
        LANGUAGE plpgsql STABLE
        AS $function$
        DECLARE
            spine date[];
            window_weeks date[];
        BEGIN
            IF known_run IS NOT NULL THEN
                RETURN QUERY SELECT p.* FROM rollup.panel_known_at_inlined(known_through, known_run, window_only) AS p
                              WHERE films IS NULL OR p.film_id = ANY (films);
                RETURN;
            END IF;
            spine := ARRAY(SELECT s.week_beginning FROM rollup.weeks_known_at(known_through, NULL) AS s);
            IF window_only THEN
                window_weeks := ARRAY(SELECT rollup.recommendation_weeks(known_through, NULL));
            END IF;
            -- a null array folds away when the statement is planned with the arguments' values
            RETURN QUERY
            SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
                   coalesce(w.peak_outstanding, 0),
                   coalesce(w.hours_all_copies_out, 0),
                   rollup.stocked_out(w.hours_all_copies_out)
              FROM (SELECT i.film_id, i.store_id, count(*)::integer AS copies
                      FROM rollup.inventory_shadow AS i
                     WHERE films IS NULL OR i.film_id = ANY (films)
                     GROUP BY i.film_id, i.store_id) AS h
             CROSS JOIN unnest(spine) AS s (week_beginning)
              LEFT JOIN (SELECT f.film_id, f.store_id, f.week_beginning, f.peak_outstanding, f.hours_all_copies_out
                           FROM rollup.film_weekly AS f
                          WHERE (window_weeks IS NULL OR f.week_beginning = ANY (window_weeks))
                            AND (films IS NULL OR f.film_id = ANY (films))) AS w
                     ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
             WHERE window_weeks IS NULL OR s.week_beginning = ANY (window_weeks);
        END
        $function$;
        COMMENT ON FUNCTION rollup.panel_known_at(date, bigint, boolean, integer[]) IS
            'Citus only (migration V21): rollup.panel_known_at(known_through, known_run, window_only) for the '
            'stocked pairs of the films given (null: every film), reading only their flows.';

        CREATE OR REPLACE FUNCTION rollup.panel_known_at(known_through date, known_run bigint, window_only boolean)
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
        LANGUAGE sql STABLE
        AS $function$ SELECT * FROM rollup.panel_known_at(known_through, known_run, window_only, NULL) $function$;

        CREATE FUNCTION rollup.window_known_at(known_through date, known_run bigint, films integer[])
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean, demand bigint)
        LANGUAGE sql STABLE
        AS $function$
        SELECT p.film_id, p.store_id, p.week_beginning, p.copies, p.peak_outstanding, p.hours_all_copies_out,
               p.all_copies_out, rollup.demand_seen(p.peak_outstanding, p.all_copies_out)
          FROM rollup.panel_known_at(known_through, known_run, true, films) AS p
        $function$;
        COMMENT ON FUNCTION rollup.window_known_at(date, bigint, integer[]) IS
            'Citus only (migration V21): rollup.window_known_at(known_through, known_run) for the stocked pairs '
            'of the films given (null: every film).';

        CREATE OR REPLACE FUNCTION rollup.window_known_at(known_through date, known_run bigint)
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean, demand bigint)
        LANGUAGE sql STABLE
        AS $function$ SELECT * FROM rollup.window_known_at(known_through, known_run, NULL) $function$;

        CREATE FUNCTION rollup.copies_recommendation_for(known_through date, level double precision, films integer[])
        RETURNS TABLE (film_id integer, store_id integer, copies_held integer, weeks_seen integer,
                       window_from date, window_through date, censored_weeks integer, peak_seen bigint,
                       copies_next_week integer, copies_next_4_weeks integer,
                       expected_hours_all_copies_out numeric, stockout_week_share numeric,
                       expected_idle_copies numeric)
        LANGUAGE sql STABLE
        AS $function$
        SELECT w.film_id, w.store_id,
               max(w.copies),
               count(*)::integer,
               min(w.week_beginning),
               max(w.week_beginning),
               count(*) FILTER (WHERE w.all_copies_out)::integer,
               max(w.peak_outstanding),
               rollup.copies_needed(array_agg(w.demand), level, 1),
               rollup.copies_needed(array_agg(w.demand), level, 4),
               round(avg(w.hours_all_copies_out), 3),
               round(avg(CASE WHEN w.demand > w.copies THEN 1 ELSE 0 END), 3),
               round(avg(greatest(w.copies - w.peak_outstanding, 0)), 3)
          FROM rollup.window_known_at(known_through, NULL, films) AS w
         GROUP BY w.film_id, w.store_id
        $function$;
        COMMENT ON FUNCTION rollup.copies_recommendation_for(date, double precision, integer[]) IS
            'Citus only (migration V21): rollup.copies_recommendation_for(known_through, level) for the stocked '
            'pairs of the films given (null: every film), reading only their flows; an incremental run''s '
            'step 26 passes the films it touched.';

        CREATE OR REPLACE FUNCTION rollup.copies_recommendation_for(known_through date, level double precision)
        RETURNS TABLE (film_id integer, store_id integer, copies_held integer, weeks_seen integer,
                       window_from date, window_through date, censored_weeks integer, peak_seen bigint,
                       copies_next_week integer, copies_next_4_weeks integer,
                       expected_hours_all_copies_out numeric, stockout_week_share numeric,
                       expected_idle_copies numeric)
        LANGUAGE sql STABLE
        AS $function$ SELECT * FROM rollup.copies_recommendation_for(known_through, level, NULL) $function$;
    END IF;
END
$$;
