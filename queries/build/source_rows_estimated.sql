-- Run on the source, in the full build's snapshot: the planner's estimate of a table's rows
-- (pg_class.reltuples, kept by ANALYZE and autovacuum), the "of how many" of the load's progress.
-- Free to read, unlike count(*). Null when the table was never analysed (reltuples -1) or is
-- missing (the COPY then fails with the reason).
-- $1 the table, schema-qualified
SELECT (SELECT CASE WHEN reltuples >= 0 THEN reltuples::bigint END
          FROM pg_class
         WHERE oid = to_regclass($1::text)) AS rows;
