-- On plain PostgreSQL: the copies to hold read only the window's weeks, not every week of every
-- pair. Nothing changes on a Citus coordinator (there V20 and V21 read the view through
-- PL/pgSQL, on the workers).
--
-- rollup.film_weekly (V9) gets each week's level as a running sum over all of a pair's flows,
-- then fills the weeks between flows while rentals are out. A reader of 13 weeks paid for the
-- whole history: the recommendation's window (V16, rollup.panel_known_at with window_only) filters
-- the view on its weeks, which cannot reach below the running sums, so step 26 sorted, summed and
-- filled all 2.7 million flows at 10 million rentals to keep 36,000 rows: 9.5 s of the 25 s an
-- incremental run took once a week, when the window moves (and every full build).
--
-- What a window needs from before its first week is each pair's level then: the rentals out when
-- it begins. That is every rental still out now (the shadow counted its rental and no return:
-- the flows are made from the shadow, so their net over all weeks is that count) less the net of
-- the flows from the window on. rollup.film_weekly_window(known_through) reads the flows of the
-- window's weeks and, per pair, one opening row holding that level (the week before the window),
-- and runs the view's formula over those rows; a partial index finds the rentals still out, an
-- index on the week the flows from the window on. So a recommendation reads what its window and
-- the rentals out hold, not the history (a decision far back, in `rollup backtest`, reads the
-- flows since). With known_through null the function reads every flow and no opening row: the
-- view itself, which becomes `SELECT * FROM rollup.film_weekly_window(NULL)`, so the rule
-- (levels, filled weeks, peaks, hours with every copy out) is written once. The planner folds
-- the null: the view's plan is V9's, and a filter on film and store still reaches one pair's
-- flows and rentals through their keys, in the view and in the window (the incremental step 26
-- recomputes touched pairs that way).
--
-- On Citus the function would not be distributed (Citus plans a statement before PostgreSQL
-- inlines its SQL functions: V20), so V9's view and V20/V21's panel stay there.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        CREATE INDEX film_week_flow_week ON rollup.film_week_flow (week_beginning);
        CREATE INDEX rental_shadow_out ON rollup.rental_shadow (film_id, store_id)
            WHERE rental_week IS NOT NULL AND return_week IS NULL AND film_id IS NOT NULL;

        CREATE FUNCTION rollup.film_weekly_window(known_through date)
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, rented_rentals bigint,
                       returned_rentals bigint, outstanding_at_start bigint, outstanding_rentals bigint,
                       peak_outstanding bigint, copies integer, hours_all_copies_out numeric, run_id bigint)
        LANGUAGE sql STABLE
        AS $function$
        SELECT s.film_id,
               s.store_id,
               w.week::date,
               CASE WHEN w.week = s.week_beginning THEN s.rented_rentals ELSE 0 END::bigint,
               CASE WHEN w.week = s.week_beginning THEN s.returned_rentals ELSE 0 END::bigint,
               CASE WHEN w.week = s.week_beginning THEN s.out_at_start ELSE s.out_at_end END::bigint,
               s.out_at_end::bigint,
               CASE WHEN w.week = s.week_beginning THEN s.out_at_start + s.peak_rise ELSE s.out_at_end END::bigint,
               coalesce(c.copies, 0),
               CASE WHEN w.week = s.week_beginning
                    THEN rollup.hours_all_copies_out(c.copies, s.out_at_start::bigint, s.peak_rise, s.lowest_level,
                                                     s.seconds_at_or_above, rollup.week_seconds(w.week::date, t.time_zone))
                    ELSE rollup.hours_all_copies_out(c.copies, s.out_at_end::bigint, NULL, NULL, NULL,
                                                     rollup.week_seconds(w.week::date, t.time_zone))
               END::numeric(7,3),
               CASE WHEN known_through IS NULL THEN s.last_run_id END
          FROM (
                -- partitioned by film and store: a filter on either is applied before the running
                -- sums, so one pair's rows read only that pair's flows
                SELECT f.*,
                       sum(f.rented_rentals - f.returned_rentals) OVER pair
                           - (f.rented_rentals - f.returned_rentals) AS out_at_start,
                       sum(f.rented_rentals - f.returned_rentals) OVER pair AS out_at_end,
                       lead(f.week_beginning) OVER pair AS next_week,
                       max(f.run_id) OVER pair AS last_run_id
                  FROM (-- the view: every flow
                        SELECT f.film_id, f.store_id, f.week_beginning, f.rented_rentals, f.returned_rentals,
                               f.peak_rise, f.lowest_level, f.seconds_at_or_above, f.run_id,
                               true AS every_week, false AS opening
                          FROM rollup.film_week_flow AS f
                        UNION ALL
                        -- a window: the flows of its weeks
                        SELECT w.*
                          FROM (SELECT f.film_id, f.store_id, f.week_beginning, f.rented_rentals, f.returned_rentals,
                                       f.peak_rise, f.lowest_level, f.seconds_at_or_above, f.run_id, false, false
                                  FROM rollup.film_week_flow AS f
                                 WHERE f.week_beginning
                                       BETWEEN (SELECT min(r.r) FROM rollup.recommendation_weeks(known_through, NULL) AS r (r))
                                           AND (SELECT max(r.r) FROM rollup.recommendation_weeks(known_through, NULL) AS r (r))) AS w
                        UNION ALL
                        -- and one opening row per pair, the week before the window: the rentals out
                        -- when it begins, which is every rental still out (the shadow counted its
                        -- rental and no return) less the net of the flows from the window on. Its
                        -- rentals are that level; its run, null: the earlier flows are not read.
                        SELECT o.*
                          FROM (SELECT u.film_id, u.store_id,
                                       (SELECT min(r.r) FROM rollup.recommendation_weeks(known_through, NULL) AS r (r)) - 7,
                                       sum(u.net)::integer, 0, 0, 0, '{}'::numeric[], NULL::bigint, false, true
                                  FROM (SELECT s.film_id, s.store_id, 1 AS net
                                          FROM rollup.rental_shadow AS s
                                         WHERE s.rental_week IS NOT NULL AND s.return_week IS NULL AND s.film_id IS NOT NULL
                                        UNION ALL
                                        SELECT f.film_id, f.store_id, f.returned_rentals - f.rented_rentals
                                          FROM rollup.film_week_flow AS f
                                         WHERE f.week_beginning >= (SELECT min(r.r) FROM rollup.recommendation_weeks(known_through, NULL) AS r (r))
                                       ) AS u
                                 GROUP BY u.film_id, u.store_id) AS o) AS f
                 -- the first branch or the other two, the planner folding a constant known_through.
                 -- (The test here, not in the branches: a branch with a filter of its own is planned
                 -- apart, and the view would sort the flows rather than read them in the key's order.)
                 WHERE f.every_week = (known_through IS NULL)
                WINDOW pair AS (PARTITION BY f.film_id, f.store_id ORDER BY f.week_beginning ROWS UNBOUNDED PRECEDING)
               ) AS s
         CROSS JOIN (SELECT b.time_zone, (SELECT max(k.week_beginning) FROM rollup.weekly_rentals AS k) AS last_week
                       FROM rollup.build_settings AS b) AS t
         -- the flow's own week (not the opening row's), then the weeks without events up to the
         -- next flow (or the spine's end, or the window's) while rentals are out
         CROSS JOIN LATERAL generate_series(
                        (s.week_beginning + CASE WHEN s.opening THEN 7 ELSE 0 END)::timestamp,
                        CASE WHEN s.out_at_end <= 0 THEN s.week_beginning
                             WHEN known_through IS NULL THEN coalesce(s.next_week - 7, t.last_week)
                             ELSE least(coalesce(s.next_week - 7, t.last_week),
                                        (SELECT max(r.r) FROM rollup.recommendation_weeks(known_through, NULL) AS r (r)))
                        END::timestamp,
                        interval '7 days') AS w (week)
          LEFT JOIN (SELECT i.film_id, i.store_id, count(*)::integer AS copies
                       FROM rollup.inventory_shadow AS i
                      GROUP BY i.film_id, i.store_id) AS c
                 ON c.film_id = s.film_id AND c.store_id = s.store_id
        $function$;
        COMMENT ON FUNCTION rollup.film_weekly_window(date) IS
            'The rows of rollup.film_weekly in the weeks from the first to the last a recommendation made at the end '
            'of known_through reads (rollup.recommendation_weeks, current tables), computed from those weeks'' flows '
            'and each pair''s rentals out when the window begins (those out now, rollup.rental_shadow, less the '
            'net of the flows since); run_id null. known_through null: every week, which is the view '
            'rollup.film_weekly. The one definition of the view''s levels, filled weeks, peaks and hours.';

        CREATE OR REPLACE VIEW rollup.film_weekly AS
        SELECT f.film_id, f.store_id, f.week_beginning, f.rented_rentals, f.returned_rentals,
               f.outstanding_at_start, f.outstanding_rentals, f.peak_outstanding, f.copies,
               f.hours_all_copies_out::numeric(7,3) AS hours_all_copies_out, f.run_id
          FROM rollup.film_weekly_window(NULL) AS f;

        CREATE OR REPLACE FUNCTION rollup.panel_known_at(known_through date, known_run bigint, window_only boolean)
        RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
                       peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
        LANGUAGE sql STABLE
        AS $function$
        -- V16's, with the current flows of the window read by rollup.film_weekly_window (the rest
        -- unchanged: one branch runs, the planner folding a constant known_run)
        SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
               coalesce(w.peak_outstanding, 0),
               coalesce(w.hours_all_copies_out, 0),
               rollup.stocked_out(w.hours_all_copies_out)
          FROM (SELECT i.film_id, i.store_id, count(*)::integer AS copies
                  FROM rollup.inventory_shadow AS i
                 GROUP BY i.film_id, i.store_id) AS h
         CROSS JOIN rollup.weeks_known_at(known_through, NULL) AS s
          LEFT JOIN (SELECT f.film_id, f.store_id, f.week_beginning, f.peak_outstanding, f.hours_all_copies_out
                       FROM rollup.film_weekly_window(CASE WHEN window_only THEN known_through END) AS f
                      WHERE NOT window_only
                         OR f.week_beginning IN (SELECT rollup.recommendation_weeks(known_through, known_run))) AS w
                 ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
         WHERE known_run IS NULL
           AND (NOT window_only OR s.week_beginning IN (SELECT rollup.recommendation_weeks(known_through, known_run)))
        UNION ALL
        SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
               coalesce(w.peak_outstanding, 0),
               coalesce(w.hours_all_copies_out, 0),
               rollup.stocked_out(w.hours_all_copies_out)
          FROM rollup.copies_history AS h
         CROSS JOIN rollup.weeks_known_at(known_through, known_run) AS s
          LEFT JOIN (SELECT f.film_id, f.store_id, f.week_beginning, f.peak_outstanding, f.hours_all_copies_out
                       FROM rollup.film_weekly_at(known_run) AS f
                      WHERE NOT window_only
                         OR f.week_beginning IN (SELECT rollup.recommendation_weeks(known_through, known_run))) AS w
                 ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
         WHERE known_run IS NOT NULL
           AND rollup.in_effect(h.valid_from_run, h.valid_to_run, known_run)
           AND (NOT window_only OR s.week_beginning IN (SELECT rollup.recommendation_weeks(known_through, known_run)))
        $function$;
    END IF;
END
$$;
