-- Copies to hold (issue 15): per stocked (film, store), the copies needed next week and over the
-- next four weeks to meet demand at a service level, maintained by every run, and the pieces the
-- recommendation and `rollup backtest` share. Each rule is written once, here:
--   * the censoring rule (a week with every copy out) is V13's rollup.stocked_out;
--   * a week in which the whole shop recorded nothing (a gap in the source) is V13's rollup.recorded_nothing;
--   * rollup.weeks_known_at,     THE ONE PLACE that reads the panel as known at the end of a week:
--     rollup.panel_known_at      the recommender and the backtest read nothing else;
--   * rollup.demand_seen         a week's peak, raised for censoring: the demand the method counts;
--   * rollup.copies_recommendation_for   the method itself.

CREATE FUNCTION rollup.recommendation_window() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 13;
COMMENT ON FUNCTION rollup.recommendation_window() IS
    'How many recent weeks (leaving out weeks the shop recorded nothing) the recommendation reads: a quarter.';

-- The one place that reads "what was known at the end of week W". Today it reads the current
-- tables restricted to weeks up to W: absent late-arriving data, that is what was known then for
-- those weeks, except the copies held, which are today's count. With the revision history
-- (rollup.film_weekly_as_of) these two bodies are what changes; nothing that calls them does.
CREATE FUNCTION rollup.weeks_known_at(known_through date)
RETURNS TABLE (week_beginning date, recorded_nothing boolean)
LANGUAGE sql STABLE
AS $function$
SELECT w.week_beginning, rollup.recorded_nothing(w.rented_rentals, w.returned_rentals)
  FROM rollup.weekly_rentals AS w
 WHERE w.week_beginning <= known_through
$function$;
COMMENT ON FUNCTION rollup.weeks_known_at(date) IS
    'The weeks of the spine up to and including known_through, as known at its end, each marked when the '
    'whole shop recorded nothing in it (rollup.recorded_nothing).';

CREATE FUNCTION rollup.panel_known_at(known_through date)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean)
LANGUAGE sql STABLE
AS $function$
SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
       coalesce(w.peak_outstanding, 0),
       coalesce(w.hours_all_copies_out, 0),
       rollup.stocked_out(w.hours_all_copies_out)
  FROM (SELECT i.film_id, i.store_id, count(*)::integer AS copies
          FROM rollup.inventory_shadow AS i
         GROUP BY i.film_id, i.store_id) AS h
 CROSS JOIN rollup.weeks_known_at(known_through) AS s
  LEFT JOIN rollup.film_weekly AS w
         ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
$function$;
COMMENT ON FUNCTION rollup.panel_known_at(date) IS
    'The per-film panel as known at the end of week known_through: every stocked (film, store) x every week '
    'of the spine up to it, zeros where no copy was out, with the copies held, the week''s peak, the hours '
    'with every copy out and the censoring flag (rollup.stocked_out). The one place the recommendation '
    'and rollup backtest read history from.';

CREATE FUNCTION rollup.recommendation_weeks(known_through date) RETURNS SETOF date
LANGUAGE sql STABLE
AS $function$
SELECT s.week_beginning
  FROM rollup.weeks_known_at(known_through) AS s
 WHERE NOT s.recorded_nothing
 ORDER BY s.week_beginning DESC
 LIMIT rollup.recommendation_window()
$function$;
COMMENT ON FUNCTION rollup.recommendation_weeks(date) IS
    'The weeks a recommendation made at the end of known_through reads: the last '
    'rollup.recommendation_window() weeks up to it in which the shop recorded something.';

CREATE FUNCTION rollup.demand_seen(peak_outstanding bigint, all_copies_out boolean) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN peak_outstanding + CASE WHEN all_copies_out THEN 1 ELSE 0 END;
COMMENT ON FUNCTION rollup.demand_seen(bigint, boolean) IS
    'The copies a week asked for, as the recommendation counts it: its peak, plus one in a week with every '
    'copy out, where the peak is only a lower bound of demand (at least one more copy could have gone out).';

-- The method, once, in three parts that the run's step and `rollup backtest` share:
-- rollup.window_known_at, the weeks read with each week's demand; rollup.copies_needed, the
-- quantile; rollup.copies_recommendation_for, both per pair with what the copies held now cost.
CREATE FUNCTION rollup.window_known_at(known_through date)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, copies integer,
               peak_outstanding bigint, hours_all_copies_out numeric, all_copies_out boolean, demand bigint)
LANGUAGE sql STABLE
AS $function$
SELECT p.film_id, p.store_id, p.week_beginning, p.copies, p.peak_outstanding, p.hours_all_copies_out,
       p.all_copies_out, rollup.demand_seen(p.peak_outstanding, p.all_copies_out)
  FROM rollup.panel_known_at(known_through) AS p
 WHERE p.week_beginning IN (SELECT rollup.recommendation_weeks(known_through))
$function$;
COMMENT ON FUNCTION rollup.window_known_at(date) IS
    'The rows of rollup.panel_known_at(known_through) a recommendation made at its end reads '
    '(rollup.recommendation_weeks), with each week''s demand as the method counts it (rollup.demand_seen).';

-- Four weeks each covered with probability level^(1/4) are all covered with probability level
-- (if weeks were independent): the quantile for `weeks` weeks is taken at level^(1/weeks).
CREATE FUNCTION rollup.copies_needed(demands bigint[], level double precision, weeks integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT (percentile_disc(power(level, 1.0 / weeks)) WITHIN GROUP (ORDER BY d))::integer
          FROM unnest(demands) AS d);
COMMENT ON FUNCTION rollup.copies_needed(bigint[], double precision, integer) IS
    'Copies that cover the weekly demands seen in each of the next `weeks` weeks with probability `level`: '
    'their level^(1/weeks) empirical quantile (percentile_disc: the smallest demand seen at or above that '
    'share of the weeks). At level 1, the highest demand seen.';

-- For each stocked pair, over the weeks read: the copies needed next week and over four weeks;
-- at the copies held now, the mean hours per week with every copy out, the share of weeks whose
-- demand exceeded them, and the mean copies never out at the week's peak. Inlined by the
-- planner: a filter on film_id and store_id reads only that pair's rows.
CREATE FUNCTION rollup.copies_recommendation_for(known_through date, level double precision)
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
  FROM rollup.window_known_at(known_through) AS w
 GROUP BY w.film_id, w.store_id
$function$;
COMMENT ON FUNCTION rollup.copies_recommendation_for(date, double precision) IS
    'The recommendation (see rollup.copies_recommendation) made at the end of week known_through at service '
    'level `level`: what every run stores. rollup backtest scores the same parts (rollup.window_known_at, '
    'rollup.copies_needed).';

CREATE TABLE rollup.copies_recommendation (
    film_id                       integer NOT NULL,
    store_id                      integer NOT NULL,
    service_level                 double precision NOT NULL CHECK (service_level > 0 AND service_level <= 1),
    copies_held                   integer NOT NULL CHECK (copies_held > 0),
    copies_next_week              integer NOT NULL CHECK (copies_next_week >= 0),
    copies_next_4_weeks           integer NOT NULL CHECK (copies_next_4_weeks >= copies_next_week),
    expected_hours_all_copies_out numeric NOT NULL CHECK (expected_hours_all_copies_out >= 0),
    stockout_week_share           numeric NOT NULL CHECK (stockout_week_share BETWEEN 0 AND 1),
    expected_idle_copies          numeric NOT NULL CHECK (expected_idle_copies >= 0),
    weeks_seen                    integer NOT NULL CHECK (weeks_seen > 0),
    window_from                   date NOT NULL,
    window_through                date NOT NULL CHECK (window_through >= window_from),
    censored_weeks                integer NOT NULL CHECK (censored_weeks BETWEEN 0 AND weeks_seen),
    peak_seen                     bigint NOT NULL CHECK (peak_seen >= 0),
    run_id                        bigint NOT NULL,
    PRIMARY KEY (film_id, store_id)
);
COMMENT ON TABLE rollup.copies_recommendation IS
    'Copies to hold: per (film, store) holding at least one copy, the copies needed next week and over the '
    'next four weeks to meet demand at the service level of the last run (`rollup run --service-level`), '
    'and what the copies held now cost. From the last rollup.recommendation_window() weeks the shop recorded '
    'something in, up to the last week of the spine; a week with every copy out counts one copy more than its '
    'peak (rollup.demand_seen). Maintained by every run for the pairs it touched; `rollup recommend` prints it.';
COMMENT ON COLUMN rollup.copies_recommendation.film_id IS 'Film.';
COMMENT ON COLUMN rollup.copies_recommendation.store_id IS 'Store holding the copies.';
COMMENT ON COLUMN rollup.copies_recommendation.service_level IS
    'The service level the recommendation meets: the share of weeks in which not every copy is out (0 < level <= 1).';
COMMENT ON COLUMN rollup.copies_recommendation.copies_held IS 'Copies of the film the store holds now (inventory rows).';
COMMENT ON COLUMN rollup.copies_recommendation.copies_next_week IS
    'Copies needed next week: the service_level empirical quantile (percentile_disc) of the weeks'' demand '
    '(peak_outstanding, plus one in a week with every copy out). 0 when no copy was out in the window.';
COMMENT ON COLUMN rollup.copies_recommendation.copies_next_4_weeks IS
    'Copies needed to get through each of the next four weeks with probability service_level: the '
    'service_level^(1/4) quantile of the same weeks.';
COMMENT ON COLUMN rollup.copies_recommendation.expected_hours_all_copies_out IS
    'At the copies held now: mean hours per week with every copy out over the window (expected stock-out hours next week).';
COMMENT ON COLUMN rollup.copies_recommendation.stockout_week_share IS
    'At the copies held now: share of the window''s weeks whose demand exceeded them (expected stock-out weeks per week).';
COMMENT ON COLUMN rollup.copies_recommendation.expected_idle_copies IS
    'At the copies held now: mean copies per week still in at the week''s peak (idle copies).';
COMMENT ON COLUMN rollup.copies_recommendation.weeks_seen IS 'Weeks the recommendation read (the window, gaps of the source left out).';
COMMENT ON COLUMN rollup.copies_recommendation.window_from IS 'First week read (Monday, local date).';
COMMENT ON COLUMN rollup.copies_recommendation.window_through IS 'Last week read: the week the recommendation is made at the end of.';
COMMENT ON COLUMN rollup.copies_recommendation.censored_weeks IS 'Weeks read in which every copy was out (rollup.stocked_out).';
COMMENT ON COLUMN rollup.copies_recommendation.peak_seen IS 'The largest peak_outstanding of the weeks read.';
COMMENT ON COLUMN rollup.copies_recommendation.run_id IS 'The rollup.etl_run that last wrote this row.';

-- What the stored recommendations were computed on: when a run's differs (another service level,
-- the spine grew a week, a gap in the source was filled), every pair is recomputed; otherwise only
-- the pairs whose rentals or copies changed.
CREATE TABLE rollup.copies_recommendation_basis (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    service_level  double precision NOT NULL,
    window_weeks   date[] NOT NULL,
    run_id         bigint NOT NULL
);
COMMENT ON TABLE rollup.copies_recommendation_basis IS
    'The service level and the weeks rollup.copies_recommendation was last computed on, one row. Internal to '
    'the incremental refresh: a run whose differ recomputes every pair.';
COMMENT ON COLUMN rollup.copies_recommendation_basis.only_row IS 'Always true: the table has one row.';
COMMENT ON COLUMN rollup.copies_recommendation_basis.service_level IS 'The service level of the run that wrote it.';
COMMENT ON COLUMN rollup.copies_recommendation_basis.window_weeks IS 'The weeks the recommendations read, in order.';
COMMENT ON COLUMN rollup.copies_recommendation_basis.run_id IS 'The rollup.etl_run that wrote it.';

ALTER TABLE rollup.etl_run
    ADD COLUMN service_level double precision,
    ADD COLUMN pairs_recommended integer,
    ADD COLUMN recommendations_written integer;
COMMENT ON COLUMN rollup.etl_run.service_level IS 'The --service-level rollup.copies_recommendation was computed at.';
COMMENT ON COLUMN rollup.etl_run.pairs_recommended IS
    '(film, store) pairs whose recommendation the run recomputed: every stocked pair when its basis changed, '
    'else those whose rentals or copies changed.';
COMMENT ON COLUMN rollup.etl_run.recommendations_written IS 'Rows of rollup.copies_recommendation inserted, updated or deleted.';

-- rollup backtest's alternative method (a Poisson demand), compared with the one above.
CREATE FUNCTION rollup.poisson_quantile(mean double precision, level double precision) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $function$
DECLARE
    k integer := 0;
    term double precision := exp(-mean);
    cumulative double precision := exp(-mean);
BEGIN
    IF mean <= 0 THEN
        RETURN 0;
    END IF;
    -- at level 1 the quantile is unbounded: stop where what is left is below one in a billion
    -- (and, far past the mean, where exp(-mean) underflowed for a mean in the hundreds)
    WHILE cumulative < least(level, 1 - 1e-9) AND k < mean + 50 * sqrt(mean) + 50 LOOP
        k := k + 1;
        term := term * mean / k;
        cumulative := cumulative + term;
    END LOOP;
    RETURN k;
END
$function$;
COMMENT ON FUNCTION rollup.poisson_quantile(double precision, double precision) IS
    'The smallest k with P(X <= k) >= level for X Poisson with this mean (level 1: P(X > k) < 1e-9). '
    'Used by rollup backtest to compare a parametric method with the empirical quantile.';
