-- Verify, step 1: the week boundaries every count is bucketed by.
--
-- `rollup verify` recomputes the weekly table from the source a second way, sharing nothing with
-- the incremental pipeline but the definitions: no shadow, one aggregate computed on the source.
--
-- One row per week: Monday 00:00 in the configured time zone, as a local date and as an instant,
-- from the earliest plausible week (1970-01-05) to 53 weeks after the week of the later of today
-- and --through. The instants are computed here, on the rollup server, with the zone's own rules
-- (DST included). That is what lets step 2 bucket the source rows on the source: postgres_fdw does not ship
-- `ts AT TIME ZONE 'zone'` (its text argument carries a collation, which makes it unshippable), and
-- date_bin('7 days', ts, origin) on a timestamptz counts 168-hour weeks, wrong across DST changes;
-- width_bucket(ts, <array of instants>) is immutable, collation-free and shipped.
-- `plausible` marks the weeks a rental may be counted in: up to 52 weeks after the current week.
--
-- $1 time zone, $2 --through date or null
CREATE TEMP TABLE week_bound ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY local_monday))::integer AS bucket,
       local_monday::date AS week_beginning,
       local_monday AT TIME ZONE $1::text AS starts_at,
       local_monday <= date_bin(interval '7 days', now() AT TIME ZONE $1::text, timestamp '1970-01-05')
                       + interval '52 weeks' AS plausible
  FROM generate_series(
           timestamp '1970-01-05',
           date_bin(interval '7 days',
                    greatest(now() AT TIME ZONE $1::text, $2::date::timestamp),
                    timestamp '1970-01-05')
               + interval '53 weeks',
           interval '7 days') AS local_monday;
