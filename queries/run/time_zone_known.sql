-- Whether the rollup server knows the time zone name ($1). AT TIME ZONE would also accept
-- abbreviations and POSIX offsets such as 'UTC+3', whose meaning surprises; only IANA names pass.
SELECT EXISTS (SELECT FROM pg_timezone_names WHERE name = $1::text) AS known;
