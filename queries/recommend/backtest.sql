-- `rollup backtest`: the recommendation walked forward through history and scored against what
-- then happened, beside two other methods and three rules of thumb.
--
-- A decision is made at the end of each week W whose next week the shop recorded something in
-- (the last $2 such weeks, or all when $2 is null). Every method reads only what was known at the
-- end of W, through rollup.window_known_at (migrations/V14, V16, which reads rollup.panel_known_at):
-- the panel the run then published (rollup.run_known_at, from the revision history), or, for a
-- week that ended before the history began, the current tables up to W, the only record of it. The
-- chosen method is the one a run stores (rollup.copies_recommendation_for), from the same parts:
-- rollup.copies_needed of rollup.demand_seen; the quantile of raw peaks leaves the censoring out;
-- the Poisson method takes the quantile of a Poisson law with the mean demand; the last takes the
-- higher of the chosen and the Poisson numbers. The rules of
-- thumb read the weeks up to W directly from rollup.film_weekly, independently of all that. What
-- then happened is rollup.film_weekly as it is now.
--
-- Scores, per method and horizon (1: next week, with copies_next_week; 4: weeks W+1 .. W+4, with
-- copies_next_4_weeks, decisions whose four weeks are all in the spine), over every stocked
-- (film, store) and decision, weeks the shop recorded nothing in left out:
--   peak_within_share    share of decisions in which every week's peak_outstanding stayed within the copies;
--   demand_within_share  the same with a censored week (every copy out) asking one copy more than its
--                        peak (rollup.demand_seen): holding the copies held and being out of them is a miss;
--   idle_copy_weeks      sum over the weeks of (copies - peak) where positive;
--   copy_weeks_held      sum over the weeks of the copies.
-- $1 service level, $2 how many decision weeks (null: every one)
WITH last AS (
    SELECT max(week_beginning) AS week FROM rollup.weekly_rentals
),
held AS (
    SELECT film_id, store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow
     GROUP BY film_id, store_id
),
truth AS MATERIALIZED (
    SELECT h.film_id, h.store_id, w.week_beginning, h.copies,
           rollup.recorded_nothing(w.rented_rentals, w.returned_rentals) AS gap,
           coalesce(f.peak_outstanding, 0) AS peak,
           rollup.demand_seen(coalesce(f.peak_outstanding, 0),
                              rollup.stocked_out(f.hours_all_copies_out)) AS demand
      FROM held AS h
     CROSS JOIN rollup.weekly_rentals AS w
      LEFT JOIN rollup.film_weekly AS f
             ON f.film_id = h.film_id AND f.store_id = h.store_id AND f.week_beginning = w.week_beginning
),
decision AS MATERIALIZED (
    SELECT w.week_beginning AS decided_at
      FROM rollup.weekly_rentals AS w
      JOIN rollup.weekly_rentals AS n ON n.week_beginning = w.week_beginning + 7
     WHERE NOT rollup.recorded_nothing(n.rented_rentals, n.returned_rentals)
     ORDER BY w.week_beginning DESC
     LIMIT $2::integer
),
seen AS MATERIALIZED (
    -- what each decision reads: the same rows as the recommendation a run stores
    SELECT d.decided_at, w.film_id, w.store_id, w.peak_outstanding, w.demand
      FROM decision AS d
     CROSS JOIN LATERAL rollup.window_known_at(d.decided_at, rollup.run_known_at(d.decided_at)) AS w
),
method AS (
    SELECT decided_at, film_id, store_id,
           rollup.copies_needed(array_agg(demand), $1::float8, 1) AS chosen_next_week,
           rollup.copies_needed(array_agg(demand), $1::float8, 4) AS chosen_next_4_weeks,
           rollup.copies_needed(array_agg(peak_outstanding), $1::float8, 1) AS raw_next_week,
           rollup.copies_needed(array_agg(peak_outstanding), $1::float8, 4) AS raw_next_4_weeks,
           rollup.poisson_quantile(avg(demand)::float8, $1::float8) AS poisson_next_week,
           rollup.poisson_quantile(avg(demand)::float8, power($1::float8, 0.25)) AS poisson_next_4_weeks
      FROM seen
     GROUP BY decided_at, film_id, store_id
),
rule_of_thumb AS (
    SELECT t.film_id, t.store_id, t.week_beginning AS decided_at, t.copies, t.peak AS last_week,
           max(t.peak) OVER (PARTITION BY t.film_id, t.store_id ORDER BY t.week_beginning
                             ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS max_4_weeks
      FROM truth AS t
),
recommended AS (
    SELECT 1 AS rank, 'method' AS kind, 'quantile, censored weeks +1 (chosen)' AS method,
           decided_at, film_id, store_id, chosen_next_week AS next_week, chosen_next_4_weeks AS next_4_weeks
      FROM method
    UNION ALL
    SELECT 2, 'method', 'quantile of raw peaks', decided_at, film_id, store_id, raw_next_week, raw_next_4_weeks
      FROM method
    UNION ALL
    SELECT 3, 'method', 'Poisson, censored weeks +1', decided_at, film_id, store_id, poisson_next_week, poisson_next_4_weeks
      FROM method
    UNION ALL
    SELECT 4, 'method', 'higher of chosen and Poisson', decided_at, film_id, store_id,
           greatest(chosen_next_week, poisson_next_week), greatest(chosen_next_4_weeks, poisson_next_4_weeks)
      FROM method
    UNION ALL
    SELECT 5, 'baseline', 'copies as held', r.decided_at, r.film_id, r.store_id, r.copies, r.copies
      FROM rule_of_thumb AS r JOIN decision AS d USING (decided_at)
    UNION ALL
    SELECT 6, 'baseline', 'last week''s peak', r.decided_at, r.film_id, r.store_id, r.last_week, r.last_week
      FROM rule_of_thumb AS r JOIN decision AS d USING (decided_at)
    UNION ALL
    SELECT 7, 'baseline', 'max of the last 4 weeks', r.decided_at, r.film_id, r.store_id, r.max_4_weeks, r.max_4_weeks
      FROM rule_of_thumb AS r JOIN decision AS d USING (decided_at)
),
scored AS (
    SELECT r.rank, r.kind, r.method, h.horizon, r.decided_at, r.film_id, r.store_id,
           bool_and(t.peak <= c.copies) AS peak_within,
           bool_and(t.demand <= c.copies) AS demand_within,
           sum(greatest(c.copies - t.peak, 0)) AS idle,
           sum(c.copies) AS held,
           count(*) AS weeks
      FROM recommended AS r
     CROSS JOIN (VALUES (1), (4)) AS h (horizon)
     CROSS JOIN LATERAL (SELECT CASE h.horizon WHEN 1 THEN r.next_week ELSE r.next_4_weeks END AS copies) AS c
      JOIN truth AS t
        ON t.film_id = r.film_id AND t.store_id = r.store_id
       AND t.week_beginning > r.decided_at AND t.week_beginning <= r.decided_at + 7 * h.horizon
       AND NOT t.gap
     WHERE r.decided_at + 7 * h.horizon <= (SELECT week FROM last)
     GROUP BY r.rank, r.kind, r.method, h.horizon, r.decided_at, r.film_id, r.store_id
)
SELECT method, kind, horizon,
       count(DISTINCT decided_at)::integer AS decision_weeks,
       (SELECT min(decided_at) FROM decision) AS first_decision,
       (SELECT max(decided_at) FROM decision) AS last_decision,
       count(*) AS decisions,
       sum(weeks)::bigint AS film_store_weeks,
       round(avg(CASE WHEN peak_within THEN 1 ELSE 0 END), 4)::float8 AS peak_within_share,
       round(avg(CASE WHEN demand_within THEN 1 ELSE 0 END), 4)::float8 AS demand_within_share,
       sum(idle)::bigint AS idle_copy_weeks,
       sum(held)::bigint AS copy_weeks_held
  FROM scored
 GROUP BY rank, kind, method, horizon
 ORDER BY horizon, rank;
