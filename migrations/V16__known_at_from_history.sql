-- What was known at the end of a week, from the revision history (issue 15).
--
-- V14 wrote "the panel as known at the end of week W" (rollup.weeks_known_at, rollup.panel_known_at)
-- as the current tables restricted to the weeks up to W: what is known today about those weeks.
-- `rollup backtest` walks forward through history with it, so a late correction of an old week
-- reached decisions made before the correction arrived (hindsight). With V13's history the panel a
-- run published can be read back, so here each of those functions gets a second argument, the run
-- whose published tables to read (null: the current tables), and rollup.run_known_at(W) says which
-- run a reader could see at the end of W. The one-argument forms stay, for the recommendation a
-- run stores: it is made now, from what this run knows (its tables are not published yet, so no
-- recorded run has them), and reads the current tables as before.
--
-- Nothing changes for the stored recommendations or for a backtest over weeks that ended before the
-- first recorded run (Pagila's and the generated sources': every run came later): those weeks were
-- never published, and the current tables are the only record of them.

CREATE FUNCTION rollup.run_known_at(known_through date) RETURNS bigint
LANGUAGE sql STABLE
RETURN (SELECT k.run
          FROM (SELECT rollup.published_run(rollup.local_midnight(known_through + 7, b.time_zone)) AS run
                  FROM rollup.build_settings AS b) AS k
         WHERE k.run >= rollup.first_recorded_run()
           AND k.run < rollup.latest_published_run());
COMMENT ON FUNCTION rollup.run_known_at(date) IS
    'The run whose published tables were what a reader could see at the end of week known_through (its last '
    'instant, in the time zone of rollup.build_settings): rollup.published_run then. Null when the current '
    'tables say the same or are the only record: no recorded run had finished by then (the week ended before '
    'the history began, rollup.first_recorded_run), or the run then published is still the latest one.';

CREATE FUNCTION rollup.weeks_known_at(known_through date, known_run bigint)
RETURNS TABLE (week_beginning date, recorded_nothing boolean)
LANGUAGE sql STABLE
AS $function$
-- one branch runs: the planner folds a constant known_run and filters a parameter once
SELECT w.week_beginning, rollup.recorded_nothing(w.rented_rentals, w.returned_rentals)
  FROM rollup.weekly_rentals AS w
 WHERE known_run IS NULL AND w.week_beginning <= known_through
UNION ALL
SELECT w.week_beginning, rollup.recorded_nothing(w.rented_rentals, w.returned_rentals)
  FROM rollup.weekly_rentals_history AS w
 WHERE known_run IS NOT NULL AND w.week_beginning <= known_through
   AND rollup.in_effect(w.valid_from_run, w.valid_to_run, known_run)
$function$;
COMMENT ON FUNCTION rollup.weeks_known_at(date, bigint) IS
    'The weeks of the spine up to and including known_through, each marked when the whole shop recorded '
    'nothing in it (rollup.recorded_nothing), as run known_run published them (rollup.weekly_rentals_history); '
    'when known_run is null, as the current tables hold them.';

CREATE FUNCTION rollup.recommendation_weeks(known_through date, known_run bigint) RETURNS SETOF date
LANGUAGE sql STABLE
AS $function$
SELECT s.week_beginning
  FROM rollup.weeks_known_at(known_through, known_run) AS s
 WHERE NOT s.recorded_nothing
 ORDER BY s.week_beginning DESC
 LIMIT rollup.recommendation_window()
$function$;
COMMENT ON FUNCTION rollup.recommendation_weeks(date, bigint) IS
    'The weeks a recommendation made at the end of known_through reads, as run known_run published them '
    '(null: the current tables): the last rollup.recommendation_window() weeks up to it in which the shop '
    'recorded something.';

CREATE FUNCTION rollup.panel_known_at(known_through date, known_run bigint, window_only boolean)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
LANGUAGE sql STABLE
AS $function$
-- window_only restricts both sides of each join to the weeks of the window: a filter on the result
-- would reach the weeks but not the per-film rows, and the whole panel (every pair by every week,
-- at 10 million rentals 5.8 million rows) would be built and sorted to keep the 13 weeks a
-- recommendation reads. (A flag, not an array of weeks: an argument holding a subquery would stop
-- the planner inlining the function, and a filter on one pair would no longer reach its rows.)
SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
       coalesce(w.peak_outstanding, 0),
       coalesce(w.hours_all_copies_out, 0),
       rollup.stocked_out(w.hours_all_copies_out)
  FROM (SELECT i.film_id, i.store_id, count(*)::integer AS copies
          FROM rollup.inventory_shadow AS i
         GROUP BY i.film_id, i.store_id) AS h
 CROSS JOIN rollup.weeks_known_at(known_through, NULL) AS s
  LEFT JOIN (SELECT f.film_id, f.store_id, f.week_beginning, f.peak_outstanding, f.hours_all_copies_out
               FROM rollup.film_weekly AS f
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
COMMENT ON FUNCTION rollup.panel_known_at(date, bigint, boolean) IS
    'The per-film panel up to the end of week known_through as run known_run published it: every (film, '
    'store) it saw stocked x every week of its spine up to known_through (with window_only, those of them a '
    'recommendation reads: rollup.recommendation_weeks), zeros where no copy was out, with the copies it saw held, the week''s peak, the hours '
    'with every copy out and the censoring flag (rollup.stocked_out), from the revision history '
    '(rollup.film_weekly_at, rollup.copies_history). When known_run is null, from the current tables '
    '(copies held now). The one place the recommendation and rollup backtest read history from.';

CREATE FUNCTION rollup.panel_known_at(known_through date, known_run bigint)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
LANGUAGE sql STABLE
AS $function$ SELECT * FROM rollup.panel_known_at(known_through, known_run, false) $function$;
COMMENT ON FUNCTION rollup.panel_known_at(date, bigint) IS
    'rollup.panel_known_at(known_through, known_run, false): every week up to known_through.';

CREATE FUNCTION rollup.window_known_at(known_through date, known_run bigint)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean, demand bigint)
LANGUAGE sql STABLE
AS $function$
SELECT p.film_id, p.store_id, p.week_beginning, p.copies, p.peak_outstanding, p.hours_all_copies_out,
       p.all_copies_out, rollup.demand_seen(p.peak_outstanding, p.all_copies_out)
  FROM rollup.panel_known_at(known_through, known_run, true) AS p
$function$;
COMMENT ON FUNCTION rollup.window_known_at(date, bigint) IS
    'The rows of rollup.panel_known_at(known_through, known_run, true) a recommendation made at the end of '
    'known_through reads (rollup.recommendation_weeks), with each week''s demand as the method counts it '
    '(rollup.demand_seen). rollup backtest passes rollup.run_known_at(known_through).';

-- The one-argument forms, which the stored recommendation reads (rollup.copies_recommendation_for
-- and step 26's basis), become the current-tables case of the above: one body each.
CREATE OR REPLACE FUNCTION rollup.weeks_known_at(known_through date)
RETURNS TABLE (week_beginning date, recorded_nothing boolean)
LANGUAGE sql STABLE
AS $function$ SELECT * FROM rollup.weeks_known_at(known_through, NULL) $function$;
COMMENT ON FUNCTION rollup.weeks_known_at(date) IS
    'rollup.weeks_known_at(known_through, NULL): the weeks up to known_through as the current tables hold them.';

CREATE OR REPLACE FUNCTION rollup.panel_known_at(known_through date)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
LANGUAGE sql STABLE
AS $function$ SELECT * FROM rollup.panel_known_at(known_through, NULL) $function$;
COMMENT ON FUNCTION rollup.panel_known_at(date) IS
    'rollup.panel_known_at(known_through, NULL): the panel up to known_through from the current tables, what '
    'the recommendation a run stores reads (it is made now, from what the run knows).';

CREATE OR REPLACE FUNCTION rollup.recommendation_weeks(known_through date) RETURNS SETOF date
LANGUAGE sql STABLE
AS $function$ SELECT rollup.recommendation_weeks(known_through, NULL) $function$;
COMMENT ON FUNCTION rollup.recommendation_weeks(date) IS
    'rollup.recommendation_weeks(known_through, NULL): the weeks a recommendation made now reads.';

CREATE OR REPLACE FUNCTION rollup.window_known_at(known_through date)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean, demand bigint)
LANGUAGE sql STABLE
AS $function$ SELECT * FROM rollup.window_known_at(known_through, NULL) $function$;
COMMENT ON FUNCTION rollup.window_known_at(date) IS
    'rollup.window_known_at(known_through, NULL): what the recommendation a run stores reads.';
