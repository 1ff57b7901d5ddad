-- On a Citus coordinator only: the copies to hold read the recommendation's window from the
-- window's own flows, as V23 made them do on one server. Nothing changes on plain PostgreSQL.
--
-- On Citus, V21's rollup.panel_known_at read the window through the view rollup.film_weekly,
-- whose levels are running sums over every flow of a pair: each shard's task summed and filled
-- its whole history to keep 13 weeks (6.25 s of step 26 at 10 million rentals whenever the
-- window moves, against 0.92 s on one server since V23). V23's function cannot serve here:
-- Citus plans a statement before PostgreSQL inlines its SQL functions (V20).
--
-- So the window's statement below is V23's rule (rollup.film_weekly_window, known_through given)
-- written into the PL/pgSQL statement, where Citus sees the distributed table: the flows from
-- the window's first week on are read once (a materialized CTE: one task per shard, or only the
-- shards of the films given, each through the index on the week made here), and everything
-- else runs on the coordinator over that intermediate result: each pair's opening level (the
-- rentals out now, from the coordinator's rental shadow through the partial index made here,
-- less the net of those flows), the running sums over the window's weeks, the weeks filled
-- while rentals are out, the hours with every copy out. It is the second text of that rule on
-- a Citus coordinator, beside V9's view (V23 replaced the view by its function on one server
-- only): tests/citus.rs compares the copies to hold and the window's panel with one server's,
-- computed by V23's function, after every run.
--
-- The panel over every week (window_only false) still reads the view, on the workers: V21's
-- statement unchanged, whose plan tests/citus.rs checks, and the window's a statement of its
-- own rather than a branch of it (their outer join of the stocked pairs and weeks is the same
-- text): each is planned by Citus with only the tables it reads.
-- IF NOT EXISTS and OR REPLACE: the upgrade check in tests/citus.rs applies the Citus
-- migrations again to a rollup that already had them.

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        CREATE OR REPLACE FUNCTION rollup.panel_known_at(known_through date, known_run bigint, window_only boolean,
                                                         films integer[])
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
        LANGUAGE plpgsql STABLE
        AS $function$
        DECLARE
            spine date[];
            window_weeks date[];
            window_from date;
            window_through date;
        BEGIN
            IF known_run IS NOT NULL THEN
                RETURN QUERY SELECT p.* FROM rollup.panel_known_at_inlined(known_through, known_run, window_only) AS p
                              WHERE films IS NULL OR p.film_id = ANY (films);
                RETURN;
            END IF;
            spine := ARRAY(SELECT s.week_beginning FROM rollup.weeks_known_at(known_through, NULL) AS s);
            IF NOT window_only THEN
                -- V21's statement: every week, the view's running sums on the workers
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
                              WHERE films IS NULL OR f.film_id = ANY (films)) AS w
                         ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning;
                RETURN;
            END IF;
            window_weeks := ARRAY(SELECT rollup.recommendation_weeks(known_through, NULL));
            window_from := (SELECT min(r.r) FROM unnest(window_weeks) AS r (r));
            window_through := (SELECT max(r.r) FROM unnest(window_weeks) AS r (r));
            RETURN QUERY
            WITH stocked AS (
                -- the stocked pairs of the films given and their copies: the panel's rows, and the
                -- copies the hours with every copy out are counted against
                SELECT i.film_id, i.store_id, count(*)::integer AS copies
                  FROM rollup.inventory_shadow AS i
                 WHERE films IS NULL OR i.film_id = ANY (films)
                 GROUP BY i.film_id, i.store_id
            ),
            since AS MATERIALIZED (
                -- the one read of the distributed flows
                SELECT f.film_id, f.store_id, f.week_beginning, f.rented_rentals, f.returned_rentals,
                       f.peak_rise, f.lowest_level, f.seconds_at_or_above
                  FROM rollup.film_week_flow AS f
                 WHERE f.week_beginning >= window_from
                   AND (films IS NULL OR f.film_id = ANY (films))
            ),
            flow AS (
                -- the window's flows, and one opening row per pair the week before the window:
                -- the rentals out when it begins (V23)
                SELECT f.film_id, f.store_id, f.week_beginning, f.rented_rentals, f.returned_rentals,
                       f.peak_rise, f.lowest_level, f.seconds_at_or_above, false AS opening
                  FROM since AS f
                 WHERE f.week_beginning <= window_through
                UNION ALL
                SELECT u.film_id, u.store_id, window_from - 7, sum(u.net)::integer, 0, 0, 0, '{}'::numeric[], true
                  FROM (SELECT r.film_id, r.store_id, 1 AS net
                          FROM rollup.rental_shadow AS r
                         WHERE r.rental_week IS NOT NULL AND r.return_week IS NULL AND r.film_id IS NOT NULL
                           AND (films IS NULL OR r.film_id = ANY (films))
                        UNION ALL
                        SELECT f.film_id, f.store_id, f.returned_rentals - f.rented_rentals
                          FROM since AS f) AS u
                 GROUP BY u.film_id, u.store_id
            ),
            windowed AS (
                SELECT l.film_id, l.store_id, g.week::date AS week_beginning,
                       CASE WHEN g.week = l.week_beginning THEN l.out_at_start + l.peak_rise ELSE l.out_at_end END::bigint
                           AS peak_outstanding,
                       CASE WHEN g.week = l.week_beginning
                            THEN rollup.hours_all_copies_out(c.copies, l.out_at_start::bigint, l.peak_rise, l.lowest_level,
                                                             l.seconds_at_or_above, rollup.week_seconds(g.week::date, t.time_zone))
                            ELSE rollup.hours_all_copies_out(c.copies, l.out_at_end::bigint, NULL, NULL, NULL,
                                                             rollup.week_seconds(g.week::date, t.time_zone))
                       END::numeric(7,3) AS hours_all_copies_out
                  FROM (SELECT f.*,
                               sum(f.rented_rentals - f.returned_rentals) OVER pair
                                   - (f.rented_rentals - f.returned_rentals) AS out_at_start,
                               sum(f.rented_rentals - f.returned_rentals) OVER pair AS out_at_end,
                               lead(f.week_beginning) OVER pair AS next_week
                          FROM flow AS f
                        WINDOW pair AS (PARTITION BY f.film_id, f.store_id ORDER BY f.week_beginning
                                        ROWS UNBOUNDED PRECEDING)) AS l
                 CROSS JOIN (SELECT b.time_zone, (SELECT max(k.week_beginning) FROM rollup.weekly_rentals AS k) AS last_week
                               FROM rollup.build_settings AS b) AS t
                 CROSS JOIN LATERAL generate_series(
                                (l.week_beginning + CASE WHEN l.opening THEN 7 ELSE 0 END)::timestamp,
                                CASE WHEN l.out_at_end <= 0 THEN l.week_beginning
                                     ELSE least(coalesce(l.next_week - 7, t.last_week), window_through)
                                END::timestamp,
                                interval '7 days') AS g (week)
                  LEFT JOIN stocked AS c
                         ON c.film_id = l.film_id AND c.store_id = l.store_id
            )
            SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
                   coalesce(w.peak_outstanding, 0),
                   coalesce(w.hours_all_copies_out, 0),
                   rollup.stocked_out(w.hours_all_copies_out)
              FROM stocked AS h
             CROSS JOIN unnest(spine) AS s (week_beginning)
              LEFT JOIN windowed AS w
                     ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
             WHERE s.week_beginning = ANY (window_weeks);
        END
        $function$;
        COMMENT ON FUNCTION rollup.panel_known_at(date, bigint, boolean, integer[]) IS
            'Citus only (migrations V21, V24): rollup.panel_known_at(known_through, known_run, window_only) for the '
            'stocked pairs of the films given (null: every film). The window (window_only) is computed from its own '
            'flows and the rentals out when it begins (V23''s rule); every week, from the view.';

        -- V23's two indexes, made there on one server: the flows from a week on (propagated to
        -- every shard), and the rentals still out (the shadow is a local table). After the
        -- function: Citus refuses a function's DDL after a parallel command on its shards in the
        -- same transaction, not the reverse.
        CREATE INDEX IF NOT EXISTS film_week_flow_week ON rollup.film_week_flow (week_beginning);
        CREATE INDEX IF NOT EXISTS rental_shadow_out ON rollup.rental_shadow (film_id, store_id)
            WHERE rental_week IS NOT NULL AND return_week IS NULL AND film_id IS NOT NULL;

    END IF;
END
$$;
