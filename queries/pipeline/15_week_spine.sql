-- Step 15: the first and last week the tables must have (rollup.week_spine, migrations/V9): from
-- the week of the earliest counted rental to the week of the latest counted rental or return, or
-- the week containing --through if that is later. Both nulls when no rental counts.
-- $1 --through date or null, $2 time zone
CREATE TEMP TABLE week_spine ON COMMIT DROP AS
SELECT first_week, last_week FROM rollup.week_spine($1::date, $2::text);
