-- How long the run lock may be waited for ($1 milliseconds), for the wait's transaction only.
-- pg_advisory_lock then fails with SQLSTATE 55P03 (lock_not_available) when the time is up.
SELECT set_config('lock_timeout', $1::text, true);
