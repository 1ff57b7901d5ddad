-- Storage whose writes follow the change (issue 11). Until now rollup.film_weekly stored every
-- week's absolute numbers (rentals out at its start and end, the peak, the hours with every copy
-- out), so a return corrected years back rewrote every later week of its film and store, and the
-- per-film rows of rentals never returned were written again every week the spine grew. Here
-- each table stores what a change elsewhere cannot alter: a week's own movement ("flow"), and the
-- absolute numbers ("stock") are running sums over the flows, derived when read by views with the
-- old names and columns. A change now rewrites only the weeks (and days) that hold its events.
--
-- The definitions change (the runner's DEFINITIONS goes to 3), so the next run rebuilds
-- everything from the source; until it has, the new tables are empty.

-- The counting rule, once: every step that needs a week or the plausible range calls these.
CREATE FUNCTION rollup.week_containing(day date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_bin(interval '7 days', day::timestamp, timestamp '1970-01-05')::date;
COMMENT ON FUNCTION rollup.week_containing(date) IS
    'The week a local date belongs to: the Monday on or before it (1970-01-05 was a Monday).';

CREATE FUNCTION rollup.week_beginning(at timestamptz, time_zone text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN rollup.week_containing((at AT TIME ZONE time_zone)::date);
COMMENT ON FUNCTION rollup.week_beginning(timestamptz, text) IS
    'The week an instant belongs to: the local date of the Monday 00:00 at or before it in the time zone.';

CREATE FUNCTION rollup.local_midnight(day date, time_zone text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN day::timestamp AT TIME ZONE time_zone;
COMMENT ON FUNCTION rollup.local_midnight(date, text) IS
    'The instant a local date begins in the time zone: where a week (or a day) starts and the one before ends.';

CREATE FUNCTION rollup.counted_from(time_zone text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN rollup.local_midnight(date '1970-01-05', time_zone);
COMMENT ON FUNCTION rollup.counted_from(text) IS
    'The earliest instant a counted rental or return may have: Monday 1970-01-05 00:00 local time.';

CREATE FUNCTION rollup.counted_until(time_zone text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN rollup.local_midnight(rollup.week_beginning(now(), time_zone) + 7 * 53, time_zone);
COMMENT ON FUNCTION rollup.counted_until(text) IS
    'The first instant too late to count: the end of the week 52 weeks after the current one. A later '
    'date is what a typo in a year looks like; the range moves with the calendar.';

-- Per-bucket fingerprints of the rental shadow (1000 consecutive rental_ids a bucket), kept in
-- the same transaction as the shadow, so that finding what the source deleted never rescans the
-- shadow. rentals and id_sum are what the source's primary key answers (an index-only scan); the
-- hashes bind each rental to its copy and instants, for the periodic full comparison that also
-- sees writes that bypassed Pagila's last_update trigger.
CREATE TABLE rollup.rental_bucket (
    bucket      integer PRIMARY KEY,
    rentals     bigint NOT NULL CHECK (rentals > 0),
    id_sum      bigint NOT NULL,
    returned    bigint NOT NULL,
    rental_hash bigint NOT NULL,
    return_hash bigint NOT NULL
);
COMMENT ON TABLE rollup.rental_bucket IS
    'Fingerprint of rollup.rental_shadow per bucket of 1000 consecutive rental_ids, maintained with it. '
    'Internal to the incremental refresh: compared with the same aggregate of the source to find deletes.';

-- The hashes of the fingerprint, written once: used on the rollup side and, inlined by the
-- planner into built-in operators, shipped by postgres_fdw to the source.
CREATE FUNCTION rollup.rental_hash(rental_id integer, inventory_id integer, rental_date timestamptz)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN hashint8(((rental_id::bigint << 32) | (inventory_id::bigint & 4294967295))
                # interval_hash(rental_date - timestamptz '2000-01-01 00:00+00')::bigint);
CREATE FUNCTION rollup.return_hash(rental_id integer, return_date timestamptz)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN hashint8((rental_id::bigint << 32) # interval_hash(return_date - timestamptz '2000-01-01 00:00+00')::bigint);
COMMENT ON FUNCTION rollup.return_hash(integer, timestamptz) IS 'Null for a rental not returned (it drops out of a sum).';

-- The rental shadow, again: it now carries the film and store of its copy (as the inventory shadow
-- has it now; null for a copy the inventory lacks), so a (film, store, week) reaches its rentals
-- and returns by one range of an index instead of one per copy: a popular title has a hundred
-- copies in a store. A copy moved to another film or store moves its rentals' rows (a change in
-- proportion to the copy's history). Its rows are rebuilt by the next run anyway (the definitions
-- change), so the table is made anew.
--
-- It and rollup.film_week_flow, the two tables a full build writes by the million, are
-- partitioned tables with one (DEFAULT) partition: a full build fills new partitions in schema
-- rollup_build, beside the published ones, from several connections, and swaps them in with
-- DETACH / ATTACH PARTITION in one short transaction (src/full_build.rs), so readers see the old
-- tables or the new ones, never a mix, and never wait for the build. The published partitions live
-- in schema rollup_data; queries go through the parents in schema rollup.
DROP TABLE rollup.rental_shadow;
CREATE TABLE rollup.rental_shadow (
    rental_id    integer NOT NULL,
    rental_date  timestamptz NOT NULL,
    return_date  timestamptz,
    inventory_id integer NOT NULL,
    last_update  timestamptz NOT NULL,
    rental_week  date,
    return_week  date,
    film_id      integer,
    store_id     integer,
    PRIMARY KEY (rental_id),
    CHECK (return_week IS NULL OR rental_week IS NOT NULL),
    CHECK (return_week IS NULL OR return_week >= rental_week)
) PARTITION BY RANGE (rental_id);
COMMENT ON TABLE rollup.rental_shadow IS
    'One row per source rental as the last run saw it, with its copy''s film and store and the weeks it '
    'was counted in. Internal to the incremental refresh: it lets a run find where a changed or deleted '
    'rental was counted before. Not for analysis; query rollup.weekly_rentals or rollup.film_weekly. '
    'Partitioned, with one partition (in schema rollup_data) that each full build replaces.';
COMMENT ON COLUMN rollup.rental_shadow.last_update IS 'The source row''s last_update when it was last pulled.';
COMMENT ON COLUMN rollup.rental_shadow.rental_week IS
    'Week (Monday, local date) the rental is counted as rented in; null when the rental is quarantined '
    '(returned before rented, or dated outside the plausible range) and counted nowhere.';
COMMENT ON COLUMN rollup.rental_shadow.return_week IS
    'Week the rental is counted as returned in; null when not returned (or quarantined).';
COMMENT ON COLUMN rollup.rental_shadow.film_id IS 'The film of the rental''s copy (rollup.inventory_shadow); null when the copy is unknown.';
COMMENT ON COLUMN rollup.rental_shadow.store_id IS 'The store that owns the rental''s copy; null when the copy is unknown.';

-- The rental shadow's access paths, for work proportional to the change: a touched (film, store,
-- week) reaches its rentals and returns by range, a touched day its events shop-wide, a changed
-- rental its neighbours on its copy. They replace the indexes on the weeks and on inventory_id
-- alone, which made a touched copy fetch its whole history. Quarantined rentals are judged again
-- every run; they are few, so a partial index finds them.
-- Covering: a full build judges every copy's history from it in order, reading no heap page.
CREATE INDEX rental_shadow_copy_rented ON rollup.rental_shadow (inventory_id, rental_date, rental_id)
    INCLUDE (return_date, rental_week, film_id);
CREATE INDEX rental_shadow_pair_rented ON rollup.rental_shadow (film_id, store_id, rental_date)
    WHERE rental_week IS NOT NULL;
CREATE INDEX rental_shadow_pair_returned ON rollup.rental_shadow (film_id, store_id, return_date)
    WHERE return_week IS NOT NULL;
CREATE INDEX rental_shadow_rented ON rollup.rental_shadow (rental_date) WHERE rental_week IS NOT NULL;
CREATE INDEX rental_shadow_returned ON rollup.rental_shadow (return_date) WHERE return_week IS NOT NULL;
CREATE INDEX rental_shadow_quarantined ON rollup.rental_shadow (rental_id) WHERE rental_week IS NULL;

CREATE SCHEMA rollup_data;
COMMENT ON SCHEMA rollup_data IS
    'The partitions of rollup.rental_shadow and rollup.film_week_flow a full build published. Query the '
    'partitioned tables in schema rollup, not these.';

-- The weeks the tables must have: from the week of the earliest counted rental to the week of the
-- latest counted rental or return, or the week containing `through` if that is later; both null
-- when no rental counts. Four probes of the shadow's indexes on the counted instants.
CREATE FUNCTION rollup.week_spine(through date, time_zone text, OUT first_week date, OUT last_week date)
LANGUAGE sql STABLE
AS $function$
SELECT rollup.week_beginning(events.first_rented, time_zone),
       CASE WHEN events.first_rented IS NOT NULL THEN
           greatest(rollup.week_beginning(events.last_rented, time_zone),
                    rollup.week_beginning(events.last_returned, time_zone),
                    rollup.week_containing(through))
       END
  FROM (SELECT (SELECT min(rental_date) FROM rollup.rental_shadow WHERE rental_week IS NOT NULL) AS first_rented,
               (SELECT max(rental_date) FROM rollup.rental_shadow WHERE rental_week IS NOT NULL) AS last_rented,
               (SELECT max(return_date) FROM rollup.rental_shadow WHERE return_week IS NOT NULL) AS last_returned)
       AS events
$function$;
COMMENT ON FUNCTION rollup.week_spine(date, text) IS
    'The first and last week rollup.weekly_rentals must have, from the rental shadow and `--through`.';

-- Shop-wide flow per local day. A week's peak is its start plus the most its days add on top
-- of it, so a change re-sweeps one day's events instead of a whole week's.
CREATE TABLE rollup.day_flow (
    day              date PRIMARY KEY,
    rented_rentals   bigint NOT NULL CHECK (rented_rentals >= 0),
    returned_rentals bigint NOT NULL CHECK (returned_rentals >= 0),
    peak_rise        bigint NOT NULL CHECK (peak_rise BETWEEN 0 AND rented_rentals),
    run_id           bigint NOT NULL,
    CHECK (rented_rentals + returned_rentals > 0)
);
COMMENT ON TABLE rollup.day_flow IS
    'Shop-wide movement per local day with any counted rental or return: rentals, returns, and the most '
    'rentals out at once above the number out when the day began. rollup.weekly_rentals is computed from it.';
COMMENT ON COLUMN rollup.day_flow.peak_rise IS
    'The most rentals out at the same moment during the day minus the number out when it began (0 or more).';

-- Per (film, store) flow per week with events: what rollup.film_weekly is computed from.
CREATE TABLE rollup.film_week_flow (
    film_id             integer NOT NULL,
    store_id            integer NOT NULL,
    week_beginning      date NOT NULL,
    rented_rentals      integer NOT NULL CHECK (rented_rentals >= 0),
    returned_rentals    integer NOT NULL CHECK (returned_rentals >= 0),
    peak_rise           integer NOT NULL CHECK (peak_rise BETWEEN 0 AND rented_rentals),
    lowest_level        integer NOT NULL CHECK (lowest_level BETWEEN -returned_rentals AND 0),
    seconds_at_or_above numeric[] NOT NULL,
    run_id              bigint NOT NULL,
    PRIMARY KEY (film_id, store_id, week_beginning),
    CHECK (rented_rentals + returned_rentals > 0),
    CHECK (cardinality(seconds_at_or_above) = peak_rise - lowest_level)
) PARTITION BY RANGE (film_id);
COMMENT ON TABLE rollup.film_week_flow IS
    'Movement of one film''s copies in one store in a week with a rental or a return: the counts, and the '
    'number out relative to the week''s start (its level) as it moved during the week. Absolute numbers '
    'depend on earlier weeks and are derived in rollup.film_weekly; a change rewrites only the weeks of '
    'its events. Internal: query rollup.film_weekly. Partitioned, with one partition (in schema rollup_data) '
    'that each full build replaces.';
COMMENT ON COLUMN rollup.film_week_flow.peak_rise IS 'The highest level of the week: the peak minus the number out at its start.';
COMMENT ON COLUMN rollup.film_week_flow.lowest_level IS 'The lowest level of the week (0 or less).';
COMMENT ON COLUMN rollup.film_week_flow.seconds_at_or_above IS
    'Element i: seconds of the week during which the level was at least lowest_level + i (i = 1 .. '
    'peak_rise - lowest_level); below lowest_level + 1 it is the whole week, above peak_rise never. With '
    'the number out at the start and the copies, this gives the hours with every copy out.';
COMMENT ON COLUMN rollup.film_week_flow.run_id IS 'The rollup.etl_run that last wrote this row.';

-- Hours of a week with at least `copies` rentals out, from its flow and the number out at its
-- start; a week without events (no flow) stays at its start all week.
CREATE FUNCTION rollup.hours_all_copies_out(copies integer, out_at_start bigint, peak_rise integer,
                                            lowest_level integer, seconds_at_or_above numeric[],
                                            week_seconds numeric)
RETURNS numeric(7,3) LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN round(CASE WHEN coalesce(copies, 0) <= 0 THEN 0
                  WHEN copies - out_at_start <= coalesce(lowest_level, 0) THEN week_seconds
                  WHEN copies - out_at_start > coalesce(peak_rise, 0) THEN 0
                  ELSE seconds_at_or_above[copies - out_at_start - lowest_level]
             END / 3600, 3);
COMMENT ON FUNCTION rollup.hours_all_copies_out(integer, bigint, integer, integer, numeric[], numeric) IS
    'Hours of a week with every copy out, from the number out at its start and its flow (rollup.film_week_flow).';

CREATE FUNCTION rollup.week_seconds(week date, time_zone text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN extract(epoch FROM rollup.local_midnight(week + 7, time_zone) - rollup.local_midnight(week, time_zone));
COMMENT ON FUNCTION rollup.week_seconds(date, text) IS
    'Length of a week in seconds: 168 hours, or 167 / 169 across a daylight-saving change.';

DROP VIEW rollup.film_weekly_features;
DROP TABLE rollup.film_weekly;

CREATE VIEW rollup.film_weekly AS
WITH settings AS (
    SELECT b.time_zone,
           (SELECT max(week_beginning) FROM rollup.weekly_rentals) AS last_week
      FROM rollup.build_settings AS b
),
stock AS (
    -- partitioned by film and store: a filter on either is applied before the running sums, so
    -- one film's rows read only that film's flows
    SELECT f.*,
           sum(f.rented_rentals - f.returned_rentals) OVER pair
               - (f.rented_rentals - f.returned_rentals) AS out_at_start,
           sum(f.rented_rentals - f.returned_rentals) OVER pair AS out_at_end,
           lead(f.week_beginning) OVER pair AS next_week,
           max(f.run_id) OVER pair AS last_run_id
      FROM rollup.film_week_flow AS f
    WINDOW pair AS (PARTITION BY f.film_id, f.store_id ORDER BY f.week_beginning ROWS UNBOUNDED PRECEDING)
),
copies AS (
    SELECT film_id, store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow
     GROUP BY film_id, store_id
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
       s.last_run_id AS run_id
  FROM stock AS s
 CROSS JOIN settings AS t
 -- the flow's own week, then the weeks without events up to the next flow (or the spine's end)
 -- while rentals are out
 CROSS JOIN LATERAL generate_series(s.week_beginning::timestamp,
                                    CASE WHEN s.out_at_end > 0 THEN coalesce(s.next_week - 7, t.last_week)
                                         ELSE s.week_beginning END::timestamp,
                                    interval '7 days') AS w (week)
  LEFT JOIN copies AS c ON c.film_id = s.film_id AND c.store_id = s.store_id;

COMMENT ON VIEW rollup.film_weekly IS
    'Weekly demand per film and store: one row per (film, store, week) in which a copy of the film owned '
    'by the store was out at some moment. Same weeks, time zone and counting rules as '
    'rollup.weekly_rentals; for every week the rows add up to its rented, returned and outstanding '
    'counts (a rental whose copy is missing from the inventory is counted there only, see rollup.data_issue). '
    'Computed when read from rollup.film_week_flow (running sums over the weeks of each film and store); a '
    'filter on film_id or store_id reads only those rows.';
COMMENT ON COLUMN rollup.film_weekly.film_id IS 'Film.';
COMMENT ON COLUMN rollup.film_weekly.store_id IS 'The store that owns the copy (inventory.store_id, as it is now).';
COMMENT ON COLUMN rollup.film_weekly.week_beginning IS 'Monday that starts the week (local date).';
COMMENT ON COLUMN rollup.film_weekly.rented_rentals IS 'Rentals of the film''s copies in this store whose rental_date falls in the week.';
COMMENT ON COLUMN rollup.film_weekly.returned_rentals IS 'Those whose return_date falls in the week.';
COMMENT ON COLUMN rollup.film_weekly.outstanding_at_start IS 'Rentals out when the week began.';
COMMENT ON COLUMN rollup.film_weekly.outstanding_rentals IS 'Rentals out at the end of the week.';
COMMENT ON COLUMN rollup.film_weekly.peak_outstanding IS
    'The largest number out at the same moment during the week, counting those out when it began. It '
    'counts rentals: a copy with two open rentals (see rollup.data_issue) counts twice, so it can exceed copies.';
COMMENT ON COLUMN rollup.film_weekly.copies IS 'Copies of the film the store holds (inventory rows, as it is now).';
COMMENT ON COLUMN rollup.film_weekly.hours_all_copies_out IS
    'Hours of the week during which at least `copies` rentals were out, i.e. every copy (demand could not be '
    'met); 0 when never, and 0 when the store holds no copy.';
COMMENT ON COLUMN rollup.film_weekly.run_id IS
    'The last rollup.etl_run that changed a number this row depends on (its week''s flow or an earlier one).';

CREATE VIEW rollup.film_weekly_features AS
WITH settings AS (
    SELECT time_zone FROM rollup.build_settings
),
held AS (
    SELECT film_id, store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow
     GROUP BY film_id, store_id
),
spine AS (
    SELECT week::date AS week_beginning, rollup.week_seconds(week::date, t.time_zone) AS week_seconds
      FROM (SELECT min(week_beginning) AS first_week, max(week_beginning) AS last_week
              FROM rollup.weekly_rentals) AS range,
           settings AS t,
           generate_series(range.first_week, range.last_week, interval '7 days') AS week
),
panel AS (
    SELECT h.film_id, h.store_id, s.week_beginning, s.week_seconds, h.copies,
           coalesce(w.rented_rentals, 0) AS rented_rentals,
           coalesce(w.returned_rentals, 0) AS returned_rentals,
           w.peak_rise, w.lowest_level, w.seconds_at_or_above,
           sum(coalesce(w.rented_rentals, 0) - coalesce(w.returned_rentals, 0))
               OVER (PARTITION BY h.film_id, h.store_id ORDER BY s.week_beginning ROWS UNBOUNDED PRECEDING)
               AS outstanding_rentals
      FROM held AS h
     CROSS JOIN spine AS s
      LEFT JOIN rollup.film_week_flow AS w
             ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
),
measured AS (
    SELECT p.film_id, p.store_id, p.week_beginning, p.copies, p.rented_rentals, p.returned_rentals,
           p.outstanding_rentals,
           p.outstanding_rentals - p.rented_rentals + p.returned_rentals + coalesce(p.peak_rise, 0)
               AS peak_outstanding,
           rollup.hours_all_copies_out(p.copies,
                                       (p.outstanding_rentals - p.rented_rentals + p.returned_rentals)::bigint,
                                       p.peak_rise, p.lowest_level, p.seconds_at_or_above, p.week_seconds)
               AS hours_all_copies_out
      FROM panel AS p
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
       coalesce(sum(p.rented_rentals) OVER (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0)::bigint
           AS rented_previous_4_weeks,
       coalesce(max(p.peak_outstanding) OVER (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0)::bigint
           AS peak_previous_4_weeks,
       coalesce(sum(p.hours_all_copies_out) OVER (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0)
           AS hours_all_copies_out_previous_4_weeks
  FROM measured AS p
  JOIN rollup.film AS f USING (film_id)
WINDOW history AS (PARTITION BY p.film_id, p.store_id ORDER BY p.week_beginning)
 ORDER BY p.film_id, p.store_id, p.week_beginning;

COMMENT ON VIEW rollup.film_weekly_features IS
    'Model-ready panel: every film a store holds (at least one copy now) x every week of the spine, zeros '
    'included, with lag features computed from earlier weeks only (no leakage from the week itself). '
    'Export with `rollup export film_weekly_features`.';
COMMENT ON COLUMN rollup.film_weekly_features.film_id IS 'Film.';
COMMENT ON COLUMN rollup.film_weekly_features.store_id IS 'Store holding the copies.';
COMMENT ON COLUMN rollup.film_weekly_features.week_beginning IS 'Monday that starts the week (local date).';
COMMENT ON COLUMN rollup.film_weekly_features.title IS 'Film title.';
COMMENT ON COLUMN rollup.film_weekly_features.category IS 'Film category.';
COMMENT ON COLUMN rollup.film_weekly_features.rental_rate IS 'Price of one rental.';
COMMENT ON COLUMN rollup.film_weekly_features.rental_duration IS 'Days a rental lasts before it is late.';
COMMENT ON COLUMN rollup.film_weekly_features.copies IS 'Copies of the film the store holds now.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_rentals IS 'Rentals of the film in the store this week (the usual target).';
COMMENT ON COLUMN rollup.film_weekly_features.returned_rentals IS 'Returns this week.';
COMMENT ON COLUMN rollup.film_weekly_features.outstanding_rentals IS 'Out at the end of the week.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_outstanding IS 'Most out at the same moment this week.';
COMMENT ON COLUMN rollup.film_weekly_features.utilisation IS 'peak_outstanding / copies: 1 or more means every copy was out at some moment.';
COMMENT ON COLUMN rollup.film_weekly_features.hours_all_copies_out IS 'Hours this week with every copy out (unmet demand).';
COMMENT ON COLUMN rollup.film_weekly_features.rented_previous_week IS 'rented_rentals of the week before (lag 1).';
COMMENT ON COLUMN rollup.film_weekly_features.rented_previous_4_weeks IS 'Sum of rented_rentals over the 4 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_previous_4_weeks IS 'Largest peak_outstanding over the 4 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.hours_all_copies_out_previous_4_weeks IS 'Sum of hours_all_copies_out over the 4 weeks before.';

ALTER TABLE rollup.etl_run
    ADD COLUMN delete_check text CHECK (delete_check IN ('totals', 'buckets', 'capture')),
    ADD COLUMN capture_generation bigint,
    ADD COLUMN days_touched integer;
COMMENT ON COLUMN rollup.etl_run.delete_check IS
    'How an incremental run looked for rentals deleted from the source: totals (the source''s count and '
    'sum of rental_ids matched the shadow''s, so nothing was deleted), buckets (they did not, or the full '
    'fingerprints were due: 1000-id buckets compared and the differing ones pulled whole), capture (the '
    'deleted ids the source''s opt-in capture logged; see `rollup capture`). Null for a full build.';
COMMENT ON COLUMN rollup.etl_run.capture_generation IS
    'The installation of the source''s delete capture this run read, or checked against the totals; the '
    'next run trusts the capture only if it is still the same installation.';
COMMENT ON COLUMN rollup.etl_run.days_touched IS 'Days whose shop-wide events the run recounted.';
COMMENT ON COLUMN rollup.etl_run.weeks_touched IS 'Weeks holding a day the run recounted.';
COMMENT ON COLUMN rollup.etl_run.film_stores_recomputed IS '(film, store) pairs with a week the run recomputed.';
COMMENT ON COLUMN rollup.etl_run.film_weeks_recomputed IS 'Weeks with events of (film, store) pairs the run recomputed.';
COMMENT ON COLUMN rollup.etl_run.film_weeks_written IS 'Rows of rollup.film_week_flow inserted, updated or deleted.';
