-- The first instant the counting rule counts in a time zone ($1): rollup.counted_from (V9), for a
-- statement the source runs (queries/run/first_rental.sql). Null on a rollup database not yet
-- migrated (`rollup run --dry-run` before the first run): then nothing is left out.
SELECT CASE WHEN to_regprocedure('rollup.counted_from(text)') IS NOT NULL
            THEN rollup.counted_from($1::text) END AS counted_from;
