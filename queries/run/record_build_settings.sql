-- After a full build: the settings the tables now mean. $1 time zone, $2 week start, $3 run_id,
-- $4 definitions version
INSERT INTO rollup.build_settings (time_zone, week_start, built_at, built_by_run, definitions)
VALUES ($1::text, $2::text, now(), $3::bigint, $4::integer)
ON CONFLICT (singleton) DO UPDATE
   SET time_zone = excluded.time_zone,
       week_start = excluded.week_start,
       built_at = excluded.built_at,
       built_by_run = excluded.built_by_run,
       definitions = excluded.definitions;
