-- Step 19: the flow of each (film, store, week) step 18 reads (rollup.film_week_flow's columns).
--
-- The level is the number out relative to the week's start. One pass over the pair-week's events
-- in time order gives the level after each event (a running sum of +1 at a rental, -1 at a
-- return, from 0). Returns sort before rentals at the same instant: a rental is out at t when
-- rental_date < t <= return_date, so a copy returned and rented again at one instant is not out
-- twice, and the spans between events of one instant last no time. Each event ends a span at the
-- level before it (from the previous event, or the week's start); the last one also starts the
-- span to the week's end at its own level. The level moves by one at a time, so every level
-- between the lowest and the highest holds for some span (perhaps of no time).
--
-- A second pass over the spans from the highest level down sums the time at or above each level:
-- with the number out at the week's start and the copies the store holds, that is the time with
-- every copy out (rollup.hours_all_copies_out), whatever those two are when read. Both passes
-- order the same partitions, so after the one sort by time the second sorts only within each
-- pair-week.
--
-- The time zone is a parameter, not a read of the run's temporary table run_setting: on a Citus
-- coordinator a local table in the query makes Citus pull every event to the coordinator instead
-- of sweeping on the workers (docs/citus.md).
-- $1 time zone
CREATE TEMP TABLE film_week_flow_computed ON COMMIT DROP AS
WITH swept AS (
    SELECT e.film_id, e.store_id, e.week, e.at, e.delta,
           sum(e.delta) OVER pair_week AS level,
           lag(e.at) OVER pair_week AS previous_at,
           lead(e.at) OVER pair_week IS NULL AS last_event
      FROM film_week_event AS e
    WINDOW pair_week AS (PARTITION BY e.film_id, e.store_id, e.week ORDER BY e.at, e.delta
                         ROWS UNBOUNDED PRECEDING)
),
span AS (
    SELECT s.film_id, s.store_id, s.week, span.delta, span.level, span.lasted
      FROM swept AS s
     CROSS JOIN LATERAL (
            VALUES (s.level - s.delta, s.delta,
                    s.at - coalesce(s.previous_at,
                                    rollup.local_midnight(s.week, $1::text))),
                   (s.level, 0,
                    CASE WHEN s.last_event
                         THEN rollup.local_midnight(s.week + 7, $1::text) - s.at END))
            AS span (level, delta, lasted)
     WHERE span.lasted IS NOT NULL
),
at_or_above AS (
    SELECT p.film_id, p.store_id, p.week, p.delta, p.level,
           sum(p.lasted) OVER from_the_top AS lasted_at_or_above,
           p.level IS DISTINCT FROM lag(p.level) OVER from_the_top AS first_of_level
      FROM span AS p
    WINDOW from_the_top AS (PARTITION BY p.film_id, p.store_id, p.week ORDER BY p.level DESC
                            RANGE UNBOUNDED PRECEDING)
)
SELECT film_id,
       store_id,
       week AS week_beginning,
       count(*) FILTER (WHERE delta = 1)::integer AS rented_rentals,
       count(*) FILTER (WHERE delta = -1)::integer AS returned_rentals,
       max(level)::integer AS peak_rise,
       min(level)::integer AS lowest_level,
       -- from the level above the lowest up (at or above the lowest is the whole week)
       (array_agg(extract(epoch FROM lasted_at_or_above) ORDER BY level) FILTER (WHERE first_of_level))[2:]
           AS seconds_at_or_above
  FROM at_or_above
 GROUP BY film_id, store_id, week;
