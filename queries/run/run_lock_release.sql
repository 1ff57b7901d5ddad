-- Release the run lock ($1).
SELECT pg_advisory_unlock($1::bigint);
