-- $1 mode, $2 time zone, $3 --through date or null
INSERT INTO rollup.etl_run (mode, time_zone, through)
VALUES ($1::text, $2::text, $3::date)
RETURNING run_id;
