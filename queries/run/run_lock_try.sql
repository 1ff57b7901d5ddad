-- Take the run lock if it is free (session advisory lock $1; it goes with the connection).
SELECT pg_try_advisory_lock($1::bigint) AS acquired;
