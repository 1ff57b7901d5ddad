-- Wait for the run lock ($1) held by another run.
SELECT pg_advisory_lock($1::bigint);
