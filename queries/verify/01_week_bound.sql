-- Verify, step 1: the week boundaries every count is bucketed by.
--
-- `rollup verify` recomputes the weekly table from the source a second way, sharing nothing with
-- the incremental pipeline but the definitions: no shadow, one aggregate computed on the source.
--
-- The definitions shared are the counting rule's constants, taken from the functions that define
-- them (migration V9): the week grid's anchor, the local date of rollup.counted_from (the Monday
-- rollup.week_origin() names), and the end of the plausible range, rollup.counted_until. They are
-- not restated here on purpose: verify is evidence that the incremental bookkeeping lost nothing,
-- and a second copy of a definition would only disagree with the tables after the rule changed,
-- blaming the pipeline for the change. What is independent is the method: the weeks are a series
-- of local Mondays stepped from the anchor and the rentals are bucketed on the source by
-- width_bucket, not by rollup.week_beginning over the shadow. The rule itself is restated,
-- independently, by the tests' oracle (tests/common/oracle.rs, with chrono-tz). Only V9's
-- functions are used, not V12's rollup.week_origin(): verify does not migrate, and must work on a
-- database built by the previous release.
--
-- One row per week: Monday 00:00 in the configured time zone, as a local date and as an instant,
-- from the anchor to the first week too late to count (the Monday 53 weeks after the current
-- week's, where rollup.counted_until ends the range), or to the week containing --through if that
-- is later. The instants are computed here, on the rollup server, with the zone's own rules (DST
-- included). That is what lets step 2 bucket the source rows on the source: postgres_fdw does not
-- ship `ts AT TIME ZONE 'zone'` (its text argument carries a collation, which makes it
-- unshippable), and date_bin('7 days', ts, origin) on a timestamptz counts 168-hour weeks, wrong
-- across DST changes; width_bucket(ts, <array of instants>) is immutable, collation-free and
-- shipped. An instant at or after the last bound falls in the last week, which is never plausible.
-- `plausible` marks the weeks a rental may be counted in: those beginning before
-- rollup.counted_until, i.e. up to the 52nd week after the current one.
--
-- $1 time zone, $2 --through date or null
CREATE TEMP TABLE week_bound ON COMMIT DROP AS
SELECT (row_number() OVER (ORDER BY local_monday))::integer AS bucket,
       local_monday::date AS week_beginning,
       local_monday AT TIME ZONE $1::text AS starts_at,
       local_monday AT TIME ZONE $1::text < rule.counted_until AS plausible
  FROM (SELECT (rollup.counted_from($1::text) AT TIME ZONE $1::text)::date AS anchor,
               rollup.counted_until($1::text) AS counted_until) AS rule,
       generate_series(rule.anchor::timestamp,
                       greatest((rule.counted_until AT TIME ZONE $1::text)::date, $2::date)::timestamp,
                       interval '7 days') AS local_monday;
