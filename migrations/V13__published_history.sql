-- What every run published, kept (issue 15, items 1 and 2). An incremental run rewrites past weeks
-- when a late return or a correction arrives, so the panel shows each week as it is known today; a
-- model trained on it sees what it would not have known when it had to decide. Here every version
-- of the stored numbers the panels are computed from is kept with the run that wrote it
-- (valid_from_run) and the run that replaced it (valid_to_run, null while it is current), written
-- by the runs themselves in their own transaction, only where the run changed something. From them
-- rollup.film_weekly_at(run) and rollup.film_weekly_features_at(run) give the panels exactly as
-- that run published them; the *_as_of(timestamptz) forms pick the last run that had finished.
--
-- A run is identified by rollup.etl_run.run_id: runs are serialised by the run lock, so ids are in
-- the order runs finished, and a failed run's writes (history included) are rolled back. The
-- panels also depend on the films (titles, categories), the copies each store holds and the week
-- range, so those are versioned too: four histories, one per stored input.
--
-- Existing databases start their history at the last run that succeeded before this migration
-- (its tables are copied as the first versions); nothing before it is known.

CREATE FUNCTION rollup.in_effect(valid_from_run bigint, valid_to_run bigint, run bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN valid_from_run <= run AND (valid_to_run IS NULL OR valid_to_run > run);
COMMENT ON FUNCTION rollup.in_effect(bigint, bigint, bigint) IS
    'Whether a history row (valid_from_run, valid_to_run) is the version run `run` published: written by it or '
    'before, and not replaced by it or before.';

CREATE TABLE rollup.film_week_flow_history (
    film_id             integer NOT NULL,
    store_id            integer NOT NULL,
    week_beginning      date NOT NULL,
    rented_rentals      integer NOT NULL,
    returned_rentals    integer NOT NULL,
    peak_rise           integer NOT NULL,
    lowest_level        integer NOT NULL,
    seconds_at_or_above numeric[] NOT NULL,
    valid_from_run      bigint NOT NULL,
    valid_to_run        bigint CHECK (valid_to_run > valid_from_run)
);
-- the runs find the current version of what they touched through this index
CREATE UNIQUE INDEX film_week_flow_history_current
    ON rollup.film_week_flow_history (film_id, store_id, week_beginning) WHERE valid_to_run IS NULL;
COMMENT ON TABLE rollup.film_week_flow_history IS
    'Every version of every rollup.film_week_flow row a run published: the row''s values, the run that wrote '
    'them and the run that replaced or deleted them. The current versions (valid_to_run null) equal '
    'rollup.film_week_flow. Written by step 25 of each run, for the (film, store, week)s the run recomputed '
    '(a full build: for the rows that differ from the current versions). Read through rollup.film_weekly_at.';
COMMENT ON COLUMN rollup.film_week_flow_history.rented_rentals IS 'As rollup.film_week_flow.rented_rentals.';
COMMENT ON COLUMN rollup.film_week_flow_history.returned_rentals IS 'As rollup.film_week_flow.returned_rentals.';
COMMENT ON COLUMN rollup.film_week_flow_history.peak_rise IS 'As rollup.film_week_flow.peak_rise.';
COMMENT ON COLUMN rollup.film_week_flow_history.lowest_level IS 'As rollup.film_week_flow.lowest_level.';
COMMENT ON COLUMN rollup.film_week_flow_history.seconds_at_or_above IS 'As rollup.film_week_flow.seconds_at_or_above.';
COMMENT ON COLUMN rollup.film_week_flow_history.valid_from_run IS
    'The rollup.etl_run that published these values (for versions copied by migration V13: the run that last '
    'wrote the row before it).';
COMMENT ON COLUMN rollup.film_week_flow_history.valid_to_run IS
    'The rollup.etl_run that replaced or deleted them; null while they are current.';

CREATE TABLE rollup.copies_history (
    film_id        integer NOT NULL,
    store_id       integer NOT NULL,
    copies         integer NOT NULL CHECK (copies > 0),
    valid_from_run bigint NOT NULL,
    valid_to_run   bigint CHECK (valid_to_run > valid_from_run)
);
CREATE UNIQUE INDEX copies_history_current ON rollup.copies_history (film_id, store_id) WHERE valid_to_run IS NULL;
CREATE INDEX copies_history_pair ON rollup.copies_history (film_id, store_id);
COMMENT ON TABLE rollup.copies_history IS
    'Every count of copies (rows of rollup.inventory_shadow) a store held of a film as a run saw it: one row '
    'per (film, store) and count, from the run that first saw it to the run that saw another (a pair without '
    'copies has no current row). Written by step 25 for the pairs whose copies changed.';
COMMENT ON COLUMN rollup.copies_history.copies IS 'Copies of the film the store held (1 or more).';
COMMENT ON COLUMN rollup.copies_history.valid_from_run IS 'The rollup.etl_run that first saw this count.';
COMMENT ON COLUMN rollup.copies_history.valid_to_run IS 'The rollup.etl_run that saw another count (or none); null while current.';

CREATE TABLE rollup.film_history (
    film_id         integer NOT NULL,
    title           text NOT NULL,
    category        text,
    rental_rate     numeric(4,2) NOT NULL,
    rental_duration smallint NOT NULL,
    valid_from_run  bigint NOT NULL,
    valid_to_run    bigint CHECK (valid_to_run > valid_from_run)
);
CREATE UNIQUE INDEX film_history_current ON rollup.film_history (film_id) WHERE valid_to_run IS NULL;
COMMENT ON TABLE rollup.film_history IS
    'Every version of every rollup.film row a run published (title, category, price, duration), with the run '
    'that wrote it and the one that replaced it. Written by step 25.';
COMMENT ON COLUMN rollup.film_history.title IS 'As rollup.film.title.';
COMMENT ON COLUMN rollup.film_history.category IS 'As rollup.film.category.';
COMMENT ON COLUMN rollup.film_history.rental_rate IS 'As rollup.film.rental_rate.';
COMMENT ON COLUMN rollup.film_history.rental_duration IS 'As rollup.film.rental_duration.';
COMMENT ON COLUMN rollup.film_history.valid_from_run IS 'The rollup.etl_run that published this version.';
COMMENT ON COLUMN rollup.film_history.valid_to_run IS 'The rollup.etl_run that replaced or deleted it; null while current.';

CREATE TABLE rollup.weekly_rentals_history (
    week_beginning       date NOT NULL,
    rented_rentals       bigint NOT NULL,
    returned_rentals     bigint NOT NULL,
    outstanding_at_start bigint NOT NULL,
    outstanding_rentals  bigint NOT NULL,
    out_during_week      bigint NOT NULL,
    peak_outstanding     bigint,
    valid_from_run       bigint NOT NULL,
    valid_to_run         bigint CHECK (valid_to_run > valid_from_run)
);
CREATE UNIQUE INDEX weekly_rentals_history_current
    ON rollup.weekly_rentals_history (week_beginning) WHERE valid_to_run IS NULL;
COMMENT ON TABLE rollup.weekly_rentals_history IS
    'Every version of every rollup.weekly_rentals row a run published, with the run that wrote it and the one '
    'that replaced or deleted it: the week range each run published, and the weeks in which the whole shop '
    'recorded nothing. Written by step 25. Its first version starts the recorded history '
    '(rollup.first_recorded_run).';
COMMENT ON COLUMN rollup.weekly_rentals_history.rented_rentals IS 'As rollup.weekly_rentals.rented_rentals.';
COMMENT ON COLUMN rollup.weekly_rentals_history.returned_rentals IS 'As rollup.weekly_rentals.returned_rentals.';
COMMENT ON COLUMN rollup.weekly_rentals_history.outstanding_at_start IS 'As rollup.weekly_rentals.outstanding_at_start.';
COMMENT ON COLUMN rollup.weekly_rentals_history.outstanding_rentals IS 'As rollup.weekly_rentals.outstanding_rentals.';
COMMENT ON COLUMN rollup.weekly_rentals_history.out_during_week IS 'As rollup.weekly_rentals.out_during_week.';
COMMENT ON COLUMN rollup.weekly_rentals_history.peak_outstanding IS 'As rollup.weekly_rentals.peak_outstanding.';
COMMENT ON COLUMN rollup.weekly_rentals_history.valid_from_run IS 'The rollup.etl_run that published this version.';
COMMENT ON COLUMN rollup.weekly_rentals_history.valid_to_run IS 'The rollup.etl_run that replaced or deleted it; null while current.';

-- The history starts with what is published now (a new database: nothing, its first run writes it).
INSERT INTO rollup.film_week_flow_history
       (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
        seconds_at_or_above, valid_from_run)
SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
       seconds_at_or_above, run_id
  FROM rollup.film_week_flow;
WITH last AS (SELECT max(run_id) AS run_id FROM rollup.etl_run WHERE status = 'succeeded')
INSERT INTO rollup.copies_history (film_id, store_id, copies, valid_from_run)
SELECT i.film_id, i.store_id, count(*), last.run_id
  FROM rollup.inventory_shadow AS i, last
 WHERE last.run_id IS NOT NULL
 GROUP BY i.film_id, i.store_id, last.run_id;
WITH last AS (SELECT max(run_id) AS run_id FROM rollup.etl_run WHERE status = 'succeeded')
INSERT INTO rollup.film_history (film_id, title, category, rental_rate, rental_duration, valid_from_run)
SELECT f.film_id, f.title, f.category, f.rental_rate, f.rental_duration, last.run_id
  FROM rollup.film AS f, last
 WHERE last.run_id IS NOT NULL;
WITH last AS (SELECT max(run_id) AS run_id FROM rollup.etl_run WHERE status = 'succeeded')
INSERT INTO rollup.weekly_rentals_history
       (week_beginning, rented_rentals, returned_rentals, outstanding_at_start, outstanding_rentals,
        out_during_week, peak_outstanding, valid_from_run)
SELECT w.week_beginning, w.rented_rentals, w.returned_rentals, w.outstanding_at_start, w.outstanding_rentals,
       w.out_during_week, w.peak_outstanding, last.run_id
  FROM rollup.weekly_rentals AS w, last
 WHERE last.run_id IS NOT NULL;

CREATE FUNCTION rollup.first_recorded_run() RETURNS bigint
LANGUAGE sql STABLE
RETURN (SELECT min(valid_from_run) FROM rollup.weekly_rentals_history);
COMMENT ON FUNCTION rollup.first_recorded_run() IS
    'The first run whose published panels the history holds whole: the first run of a database created with '
    'migration V13, or the last run before V13 of an older one. Null while nothing has been counted.';

CREATE FUNCTION rollup.latest_published_run() RETURNS bigint
LANGUAGE sql STABLE
RETURN (SELECT max(run_id) FROM rollup.etl_run WHERE status = 'succeeded');
COMMENT ON FUNCTION rollup.latest_published_run() IS
    'The last run that succeeded: the one whose tables are published now.';

CREATE FUNCTION rollup.published_run(known_at timestamptz) RETURNS bigint
LANGUAGE sql STABLE
RETURN (SELECT max(run_id) FROM rollup.etl_run WHERE status = 'succeeded' AND finished_at <= known_at);
COMMENT ON FUNCTION rollup.published_run(timestamptz) IS
    'The last run that had finished (rollup.etl_run.finished_at, recorded just before its commit) at or before '
    '`known_at`: what a reader could see then. Null before the first run.';

-- A gap in the source, once: the panels' flag and the recommender use this definition.
CREATE FUNCTION rollup.recorded_nothing(rented_rentals bigint, returned_rentals bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN rented_rentals = 0 AND returned_rentals = 0;
COMMENT ON FUNCTION rollup.recorded_nothing(bigint, bigint) IS
    'A week of rollup.weekly_rentals in which the whole shop recorded no rental and no return: a gap in '
    'the source (Pagila has 13, from 2022-02-21 to 2022-05-16), not a week of zero demand.';

-- The censoring rule, once: the recommender and the panels use this definition.
CREATE FUNCTION rollup.stocked_out(hours_all_copies_out numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(hours_all_copies_out, 0) > 0;
COMMENT ON FUNCTION rollup.stocked_out(numeric) IS
    'Whether a (film, store, week) was stocked out: every copy was out for some time during the week '
    '(hours_all_copies_out > 0). Demand counted in such a week is censored, a lower bound of the demand '
    'there was: some customers found no copy.';

CREATE FUNCTION rollup.film_weekly_at(run bigint)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, rented_rentals bigint,
               returned_rentals bigint, outstanding_at_start bigint, outstanding_rentals bigint,
               peak_outstanding bigint, copies integer, hours_all_copies_out numeric(7,3), run_id bigint)
LANGUAGE sql STABLE
AS $function$
-- rollup.film_weekly (V9) computed from the versions run `run` published instead of the current
-- tables; the same expressions, so the same numbers, row for row
WITH published AS (
    SELECT r.run_id, r.time_zone,
           -- a full build writes every flow row: its run is then every row's writer
           (SELECT max(b.run_id) FROM rollup.etl_run AS b
             WHERE b.mode = 'full' AND b.status = 'succeeded' AND b.run_id <= r.run_id) AS last_full_build
      FROM rollup.etl_run AS r
     WHERE r.run_id = run AND r.status = 'succeeded' AND r.run_id >= rollup.first_recorded_run()
),
settings AS (
    SELECT p.run_id, p.time_zone, p.last_full_build,
           (SELECT max(w.week_beginning) FROM rollup.weekly_rentals_history AS w
             WHERE rollup.in_effect(w.valid_from_run, w.valid_to_run, p.run_id)) AS last_week
      FROM published AS p
),
stock AS (
    SELECT f.*,
           sum(f.rented_rentals - f.returned_rentals) OVER pair
               - (f.rented_rentals - f.returned_rentals) AS out_at_start,
           sum(f.rented_rentals - f.returned_rentals) OVER pair AS out_at_end,
           lead(f.week_beginning) OVER pair AS next_week,
           max(f.valid_from_run) OVER pair AS last_run_id
      FROM rollup.film_week_flow_history AS f, published AS p
     WHERE rollup.in_effect(f.valid_from_run, f.valid_to_run, p.run_id)
    WINDOW pair AS (PARTITION BY f.film_id, f.store_id ORDER BY f.week_beginning ROWS UNBOUNDED PRECEDING)
),
copies AS (
    SELECT c.film_id, c.store_id, c.copies
      FROM rollup.copies_history AS c, published AS p
     WHERE rollup.in_effect(c.valid_from_run, c.valid_to_run, p.run_id)
)
SELECT s.film_id,
       s.store_id,
       w.week::date AS week_beginning,
       CASE WHEN w.week = s.week_beginning THEN s.rented_rentals ELSE 0 END::bigint AS rented_rentals,
       CASE WHEN w.week = s.week_beginning THEN s.returned_rentals ELSE 0 END::bigint AS returned_rentals,
       CASE WHEN w.week = s.week_beginning THEN s.out_at_start ELSE s.out_at_end END::bigint
           AS outstanding_at_start,
       s.out_at_end::bigint AS outstanding_rentals,
       CASE WHEN w.week = s.week_beginning THEN s.out_at_start + s.peak_rise ELSE s.out_at_end END::bigint
           AS peak_outstanding,
       coalesce(c.copies, 0) AS copies,
       CASE WHEN w.week = s.week_beginning
            THEN rollup.hours_all_copies_out(c.copies, s.out_at_start::bigint, s.peak_rise, s.lowest_level,
                                             s.seconds_at_or_above, rollup.week_seconds(w.week::date, t.time_zone))
            ELSE rollup.hours_all_copies_out(c.copies, s.out_at_end::bigint, NULL, NULL, NULL,
                                             rollup.week_seconds(w.week::date, t.time_zone))
       END::numeric(7,3) AS hours_all_copies_out,
       greatest(s.last_run_id, t.last_full_build) AS run_id
  FROM stock AS s
 CROSS JOIN settings AS t
 CROSS JOIN LATERAL generate_series(s.week_beginning::timestamp,
                                    CASE WHEN s.out_at_end > 0 THEN coalesce(s.next_week - 7, t.last_week)
                                         ELSE s.week_beginning END::timestamp,
                                    interval '7 days') AS w (week)
  LEFT JOIN copies AS c ON c.film_id = s.film_id AND c.store_id = s.store_id
 ORDER BY s.film_id, s.store_id, w.week
$function$;
COMMENT ON FUNCTION rollup.film_weekly_at(bigint) IS
    'rollup.film_weekly exactly as run `run` published it: the same columns and numbers, from the versions that '
    'run left current (rollup.*_history), ordered by film, store and week. No rows for a run that did not '
    'succeed or that ran before the recorded history (rollup.first_recorded_run). run_id is the last run that '
    'wrote a number the row depends on, as the view says then.';

CREATE FUNCTION rollup.film_weekly_as_of(known_at timestamptz)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, rented_rentals bigint,
               returned_rentals bigint, outstanding_at_start bigint, outstanding_rentals bigint,
               peak_outstanding bigint, copies integer, hours_all_copies_out numeric(7,3), run_id bigint)
LANGUAGE sql STABLE
AS $function$ SELECT * FROM rollup.film_weekly_at(rollup.published_run(known_at)) $function$;
COMMENT ON FUNCTION rollup.film_weekly_as_of(timestamptz) IS
    'rollup.film_weekly as it was published at `known_at`: by the last run that had finished then '
    '(rollup.published_run). Before the first recorded run nothing was known: no rows (the numbers are not '
    'reconstructed from event times, which would show late corrections as if they had been known).';

CREATE FUNCTION rollup.film_weekly_features_at(run bigint)
RETURNS TABLE (film_id integer, store_id integer, week_beginning date, title text, category text,
               rental_rate numeric(4,2), rental_duration smallint, copies integer, rented_rentals bigint,
               returned_rentals bigint, outstanding_rentals bigint, peak_outstanding bigint,
               utilisation numeric, hours_all_copies_out numeric(7,3), rented_previous_week bigint,
               rented_previous_4_weeks bigint, peak_previous_4_weeks bigint,
               hours_all_copies_out_previous_4_weeks numeric,
               copies_held_then integer, stocked_out boolean, shop_recorded_nothing boolean,
               week_of_year integer, weeks_since_first_rented integer,
               category_rented_previous_week bigint, store_rented_previous_week bigint,
               rented_mean_previous_4_weeks numeric, rented_max_previous_4_weeks bigint,
               rented_mean_previous_8_weeks numeric, rented_max_previous_8_weeks bigint,
               rented_mean_previous_13_weeks numeric, rented_max_previous_13_weeks bigint,
               rented_mean_previous_52_weeks numeric, rented_max_previous_52_weeks bigint,
               peak_mean_previous_4_weeks numeric,
               peak_mean_previous_8_weeks numeric, peak_max_previous_8_weeks bigint,
               peak_mean_previous_13_weeks numeric, peak_max_previous_13_weeks bigint,
               peak_mean_previous_52_weeks numeric, peak_max_previous_52_weeks bigint)
LANGUAGE sql STABLE
-- The planner cannot estimate how many versions a run left current (rollup.in_effect), guesses a
-- handful, and then merge-joins millions of panel rows on part of a key with the rest as a filter
-- (over 15 minutes at a million rentals, 11 s hashed); the joins of whole sets here are best hashed.
SET enable_mergejoin = off
AS $function$
-- The panel of V9's rollup.film_weekly_features, from the versions run `run` published, with the
-- forecast features of issue 15. Every feature of a row reads weeks before the row's own.
WITH published AS (
    SELECT r.run_id, r.time_zone
      FROM rollup.etl_run AS r
     WHERE r.run_id = run AND r.status = 'succeeded' AND r.run_id >= rollup.first_recorded_run()
),
weekly AS (
    SELECT w.week_beginning, w.rented_rentals, w.returned_rentals
      FROM rollup.weekly_rentals_history AS w, published AS p
     WHERE rollup.in_effect(w.valid_from_run, w.valid_to_run, p.run_id)
),
flow AS (
    SELECT f.film_id, f.store_id, f.week_beginning, f.rented_rentals, f.returned_rentals, f.peak_rise,
           f.lowest_level, f.seconds_at_or_above
      FROM rollup.film_week_flow_history AS f, published AS p
     WHERE rollup.in_effect(f.valid_from_run, f.valid_to_run, p.run_id)
),
held AS (
    SELECT c.film_id, c.store_id, c.copies
      FROM rollup.copies_history AS c, published AS p
     WHERE rollup.in_effect(c.valid_from_run, c.valid_to_run, p.run_id)
),
film AS (
    SELECT f.film_id, f.title, f.category, f.rental_rate, f.rental_duration
      FROM rollup.film_history AS f, published AS p
     WHERE rollup.in_effect(f.valid_from_run, f.valid_to_run, p.run_id)
),
spine AS MATERIALIZED (
    -- materialised: its run lookup is made once per week, not once per (film, store, week)
    SELECT week::date AS week_beginning, rollup.week_seconds(week::date, p.time_zone) AS week_seconds,
           -- the run whose copies the week is shown with: the last one that had finished when the
           -- week began; a week that began before the recorded history, the published run's
           coalesce((SELECT max(e.run_id) FROM rollup.etl_run AS e
                      WHERE e.status = 'succeeded' AND e.run_id <= p.run_id
                        AND e.run_id >= rollup.first_recorded_run()
                        AND e.finished_at <= rollup.local_midnight(week::date, p.time_zone)),
                    p.run_id) AS copies_run
      FROM (SELECT min(week_beginning) AS first_week, max(week_beginning) AS last_week FROM weekly) AS range,
           published AS p,
           generate_series(range.first_week, range.last_week, interval '7 days') AS week
),
panel AS (
    SELECT h.film_id, h.store_id, s.week_beginning, s.week_seconds, s.copies_run, h.copies,
           coalesce(w.rented_rentals, 0) AS rented_rentals,
           coalesce(w.returned_rentals, 0) AS returned_rentals,
           w.peak_rise, w.lowest_level, w.seconds_at_or_above,
           sum(coalesce(w.rented_rentals, 0) - coalesce(w.returned_rentals, 0))
               OVER (PARTITION BY h.film_id, h.store_id ORDER BY s.week_beginning ROWS UNBOUNDED PRECEDING)
               AS outstanding_rentals
      FROM held AS h
     CROSS JOIN spine AS s
      LEFT JOIN flow AS w
             ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
),
measured AS (
    SELECT p.film_id, p.store_id, p.week_beginning, p.copies, p.copies_run, p.rented_rentals, p.returned_rentals,
           p.outstanding_rentals,
           p.outstanding_rentals - p.rented_rentals + p.returned_rentals + coalesce(p.peak_rise, 0)
               AS peak_outstanding,
           rollup.hours_all_copies_out(p.copies,
                                       (p.outstanding_rentals - p.rented_rentals + p.returned_rentals)::bigint,
                                       p.peak_rise, p.lowest_level, p.seconds_at_or_above, p.week_seconds)
               AS hours_all_copies_out
      FROM panel AS p
),
store_week AS (
    SELECT f.store_id, f.week_beginning, sum(f.rented_rentals) AS rented
      FROM flow AS f
     GROUP BY f.store_id, f.week_beginning
),
category_week AS (
    -- films without a category form a group of their own
    SELECT f.store_id, m.category IS NULL AS no_category, coalesce(m.category, '') AS category,
           f.week_beginning, sum(f.rented_rentals) AS rented
      FROM flow AS f
      JOIN film AS m USING (film_id)
     GROUP BY f.store_id, m.category, f.week_beginning
),
first_rented AS (
    SELECT f.film_id, min(f.week_beginning) AS first_week
      FROM flow AS f
     WHERE f.rented_rentals > 0
     GROUP BY f.film_id
)
SELECT p.film_id,
       p.store_id,
       p.week_beginning,
       f.title,
       f.category,
       f.rental_rate,
       f.rental_duration,
       p.copies,
       p.rented_rentals::bigint AS rented_rentals,
       p.returned_rentals::bigint AS returned_rentals,
       p.outstanding_rentals::bigint AS outstanding_rentals,
       p.peak_outstanding::bigint AS peak_outstanding,
       round(p.peak_outstanding::numeric / p.copies, 3) AS utilisation,
       p.hours_all_copies_out,
       coalesce(lag(p.rented_rentals, 1) OVER history, 0)::bigint AS rented_previous_week,
       coalesce(sum(p.rented_rentals) OVER last_4, 0)::bigint AS rented_previous_4_weeks,
       coalesce(max(p.peak_outstanding) OVER last_4, 0)::bigint AS peak_previous_4_weeks,
       coalesce(sum(p.hours_all_copies_out) OVER last_4, 0) AS hours_all_copies_out_previous_4_weeks,
       coalesce(seen.copies, 0) AS copies_held_then,
       rollup.stocked_out(p.hours_all_copies_out) AS stocked_out,
       coalesce(rollup.recorded_nothing(k.rented_rentals, k.returned_rentals), true) AS shop_recorded_nothing,
       extract(week FROM p.week_beginning)::integer AS week_of_year,
       CASE WHEN r.first_week < p.week_beginning THEN (p.week_beginning - r.first_week) / 7 ELSE 0 END
           AS weeks_since_first_rented,
       coalesce(cw.rented, 0)::bigint AS category_rented_previous_week,
       coalesce(sw.rented, 0)::bigint AS store_rented_previous_week,
       round(coalesce(avg(p.rented_rentals) OVER last_4, 0), 3) AS rented_mean_previous_4_weeks,
       coalesce(max(p.rented_rentals) OVER last_4, 0)::bigint AS rented_max_previous_4_weeks,
       round(coalesce(avg(p.rented_rentals) OVER last_8, 0), 3) AS rented_mean_previous_8_weeks,
       coalesce(max(p.rented_rentals) OVER last_8, 0)::bigint AS rented_max_previous_8_weeks,
       round(coalesce(avg(p.rented_rentals) OVER last_13, 0), 3) AS rented_mean_previous_13_weeks,
       coalesce(max(p.rented_rentals) OVER last_13, 0)::bigint AS rented_max_previous_13_weeks,
       round(coalesce(avg(p.rented_rentals) OVER last_52, 0), 3) AS rented_mean_previous_52_weeks,
       coalesce(max(p.rented_rentals) OVER last_52, 0)::bigint AS rented_max_previous_52_weeks,
       round(coalesce(avg(p.peak_outstanding) OVER last_4, 0), 3) AS peak_mean_previous_4_weeks,
       round(coalesce(avg(p.peak_outstanding) OVER last_8, 0), 3) AS peak_mean_previous_8_weeks,
       coalesce(max(p.peak_outstanding) OVER last_8, 0)::bigint AS peak_max_previous_8_weeks,
       round(coalesce(avg(p.peak_outstanding) OVER last_13, 0), 3) AS peak_mean_previous_13_weeks,
       coalesce(max(p.peak_outstanding) OVER last_13, 0)::bigint AS peak_max_previous_13_weeks,
       round(coalesce(avg(p.peak_outstanding) OVER last_52, 0), 3) AS peak_mean_previous_52_weeks,
       coalesce(max(p.peak_outstanding) OVER last_52, 0)::bigint AS peak_max_previous_52_weeks
  FROM measured AS p
  JOIN film AS f USING (film_id)
  LEFT JOIN rollup.copies_history AS seen
         ON seen.film_id = p.film_id AND seen.store_id = p.store_id
        AND rollup.in_effect(seen.valid_from_run, seen.valid_to_run, p.copies_run)
  LEFT JOIN weekly AS k ON k.week_beginning = p.week_beginning
  LEFT JOIN first_rented AS r ON r.film_id = p.film_id
  LEFT JOIN store_week AS sw ON sw.store_id = p.store_id AND sw.week_beginning = p.week_beginning - 7
  LEFT JOIN category_week AS cw
         ON cw.store_id = p.store_id AND cw.no_category = (f.category IS NULL)
        AND cw.category = coalesce(f.category, '') AND cw.week_beginning = p.week_beginning - 7
WINDOW history AS (PARTITION BY p.film_id, p.store_id ORDER BY p.week_beginning),
       last_4 AS (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING),
       last_8 AS (history ROWS BETWEEN 8 PRECEDING AND 1 PRECEDING),
       last_13 AS (history ROWS BETWEEN 13 PRECEDING AND 1 PRECEDING),
       last_52 AS (history ROWS BETWEEN 52 PRECEDING AND 1 PRECEDING)
 ORDER BY p.film_id, p.store_id, p.week_beginning
$function$;
COMMENT ON FUNCTION rollup.film_weekly_features_at(bigint) IS
    'rollup.film_weekly_features exactly as run `run` published it, from the versions that run left current '
    '(rollup.*_history). No rows for a run that did not succeed or ran before the recorded history '
    '(rollup.first_recorded_run). The columns are described on the view.';

-- The current panel is the latest published run's: one definition for now and for any past run.
-- CREATE OR REPLACE keeps the view's columns (and their comments) and adds the new ones after them.
CREATE OR REPLACE VIEW rollup.film_weekly_features AS
SELECT film_id, store_id, week_beginning, title, category, rental_rate::numeric(4,2) AS rental_rate,
       rental_duration, copies, rented_rentals, returned_rentals, outstanding_rentals, peak_outstanding,
       utilisation, hours_all_copies_out, rented_previous_week,
       rented_previous_4_weeks, peak_previous_4_weeks, hours_all_copies_out_previous_4_weeks,
       copies_held_then, stocked_out, shop_recorded_nothing, week_of_year, weeks_since_first_rented,
       category_rented_previous_week, store_rented_previous_week,
       rented_mean_previous_4_weeks, rented_max_previous_4_weeks,
       rented_mean_previous_8_weeks, rented_max_previous_8_weeks,
       rented_mean_previous_13_weeks, rented_max_previous_13_weeks,
       rented_mean_previous_52_weeks, rented_max_previous_52_weeks,
       peak_mean_previous_4_weeks,
       peak_mean_previous_8_weeks, peak_max_previous_8_weeks,
       peak_mean_previous_13_weeks, peak_max_previous_13_weeks,
       peak_mean_previous_52_weeks, peak_max_previous_52_weeks
  FROM rollup.film_weekly_features_at(rollup.latest_published_run())
 ORDER BY film_id, store_id, week_beginning;

COMMENT ON VIEW rollup.film_weekly_features IS
    'Model-ready panel: every film a store holds (at least one copy now) x every week of the spine, zeros '
    'included. The features (the columns after hours_all_copies_out, except the flags stocked_out and '
    'shop_recorded_nothing, which describe the row''s own week) are computed from earlier weeks only: no leakage '
    'from the week itself or later. The panel the latest run published (rollup.film_weekly_features_at); as an '
    'earlier run published it: rollup.film_weekly_features_as_of(timestamptz), or '
    '`rollup export film_weekly_features --as-of`. Export with `rollup export film_weekly_features`.';
COMMENT ON COLUMN rollup.film_weekly_features.copies IS
    'Copies of the film the store holds now (as the published run saw them); see copies_held_then for the week''s.';
COMMENT ON COLUMN rollup.film_weekly_features.copies_held_then IS
    'Copies the store held of the film when the week began, as the runs saw them: the count the last run that '
    'had finished by the week''s first instant saw (rollup.copies_history). A week that began before the '
    'recorded history (rollup.first_recorded_run) has no such run and shows the published run''s count, i.e. '
    'copies: the only count known for it. 0 when the store held none then.';
COMMENT ON COLUMN rollup.film_weekly_features.stocked_out IS
    'Censoring flag of this week (not a feature: it describes the week''s own demand): every copy was out for '
    'some time (rollup.stocked_out(hours_all_copies_out)), so rented_rentals is a lower bound of demand.';
COMMENT ON COLUMN rollup.film_weekly_features.shop_recorded_nothing IS
    'Flag of this week (not a feature): the whole shop recorded no rental and no return in it '
    '(rollup.weekly_rentals), a gap in the source rather than zero demand (Pagila has 13 such weeks, 2022-02-21 to '
    '2022-05-16).';
COMMENT ON COLUMN rollup.film_weekly_features.week_of_year IS
    'ISO week number (1-53) of week_beginning: known in advance, for seasonality.';
COMMENT ON COLUMN rollup.film_weekly_features.weeks_since_first_rented IS
    'Weeks from the first week, before this one, in which the film was rented in any store, to this week; 0 '
    'when it was not rented in an earlier week.';
COMMENT ON COLUMN rollup.film_weekly_features.category_rented_previous_week IS
    'Rentals in the week before (lagged one week, so this week''s demand is not used) of every film of the same '
    'category in this store; films without a category form one group.';
COMMENT ON COLUMN rollup.film_weekly_features.store_rented_previous_week IS
    'Rentals of every film in this store in the week before (lagged one week).';
COMMENT ON COLUMN rollup.film_weekly_features.rented_mean_previous_4_weeks IS
    'Mean of rented_rentals over the 4 weeks before (fewer at the start of the spine; 0 in its first week), 3 decimals.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_max_previous_4_weeks IS 'Largest rented_rentals over the 4 weeks before (0 in the first week).';
COMMENT ON COLUMN rollup.film_weekly_features.rented_mean_previous_8_weeks IS 'Mean of rented_rentals over the 8 weeks before, as the 4-week mean.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_max_previous_8_weeks IS 'Largest rented_rentals over the 8 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_mean_previous_13_weeks IS 'Mean of rented_rentals over the 13 weeks before, as the 4-week mean.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_max_previous_13_weeks IS 'Largest rented_rentals over the 13 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_mean_previous_52_weeks IS 'Mean of rented_rentals over the 52 weeks before, as the 4-week mean.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_max_previous_52_weeks IS 'Largest rented_rentals over the 52 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_mean_previous_4_weeks IS
    'Mean of peak_outstanding over the 4 weeks before, as the 4-week mean of rented_rentals (the largest is '
    'peak_previous_4_weeks).';
COMMENT ON COLUMN rollup.film_weekly_features.peak_mean_previous_8_weeks IS 'Mean of peak_outstanding over the 8 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_max_previous_8_weeks IS 'Largest peak_outstanding over the 8 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_mean_previous_13_weeks IS 'Mean of peak_outstanding over the 13 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_max_previous_13_weeks IS 'Largest peak_outstanding over the 13 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_mean_previous_52_weeks IS 'Mean of peak_outstanding over the 52 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_max_previous_52_weeks IS 'Largest peak_outstanding over the 52 weeks before.';

CREATE FUNCTION rollup.film_weekly_features_as_of(known_at timestamptz)
RETURNS SETOF rollup.film_weekly_features
LANGUAGE sql STABLE
AS $function$ SELECT * FROM rollup.film_weekly_features_at(rollup.published_run(known_at)) $function$;
COMMENT ON FUNCTION rollup.film_weekly_features_as_of(timestamptz) IS
    'rollup.film_weekly_features as it was published at `known_at`: by the last run that had finished then '
    '(rollup.published_run). Before the first recorded run nothing was known: no rows (the numbers are not '
    'reconstructed from event times, which would show late corrections as if they had been known).';
