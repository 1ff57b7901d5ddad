-- The counting rule's anchor, once (issue 14). V9 wrote the Monday the week grid is anchored to,
-- 1970-01-05, twice (in rollup.week_containing and rollup.counted_from), and the queries that run
-- where these functions do not exist (the full build's COPY on the source) repeated it again. Here
-- it becomes a function of its own, and the two functions of V9 that wrote it call it instead.
--
-- Results stay identical, so the definitions version does not change and nothing is rebuilt:
-- rollup.week_origin() returns the very date both functions held as a literal, and being an
-- IMMUTABLE SQL function it is inlined and folded into that same constant when a query is planned
-- (the plans of the pipeline's steps do not change either). CREATE OR REPLACE keeps the functions'
-- names, arguments, return types and volatility, so the views and functions that depend on them
-- (rollup.week_beginning, rollup.week_spine, ...) stay as they are.

CREATE FUNCTION rollup.week_origin() RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date '1970-01-05';
COMMENT ON FUNCTION rollup.week_origin() IS
    'The Monday the week grid is anchored to (1970-01-05): every week begins a multiple of 7 days from it, on '
    'its weekday, and a rental or return before its local midnight is implausible (rollup.counted_from). '
    'The only place the date is written; a query that runs on the source receives it from here as a literal.';

CREATE FUNCTION rollup.week_start() RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(to_char(rollup.week_origin()::timestamp, 'FMDay'));
COMMENT ON FUNCTION rollup.week_start() IS
    'The weekday weeks begin on, as rollup.build_settings.week_start records it (''monday''): the weekday of '
    'rollup.week_origin(). Not a setting: the grid has one anchor.';

CREATE OR REPLACE FUNCTION rollup.week_containing(day date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_bin(interval '7 days', day::timestamp, rollup.week_origin()::timestamp)::date;
COMMENT ON FUNCTION rollup.week_containing(date) IS
    'The week a local date belongs to: the Monday on or before it (a whole number of weeks from rollup.week_origin()).';

CREATE OR REPLACE FUNCTION rollup.counted_from(time_zone text) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN rollup.local_midnight(rollup.week_origin(), time_zone);
COMMENT ON FUNCTION rollup.counted_from(text) IS
    'The earliest instant a counted rental or return may have: 00:00 local time of rollup.week_origin() (Monday 1970-01-05).';

-- V9's comment said "52 weeks after", its body adds 53 weeks to the current week's Monday: both
-- are right, one counts the weeks after the current one, the other the Mondays. Said both ways.
COMMENT ON FUNCTION rollup.counted_until(text) IS
    'The first instant too late to count: the end of the 52nd week after the current one, i.e. local midnight of '
    'the Monday 53 weeks after the current week''s. A later date is what a typo in a year looks like; the range '
    'moves with the calendar.';
