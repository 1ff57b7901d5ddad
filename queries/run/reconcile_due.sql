-- Whether this run reconciles (step 3): when no successful run has compared the fingerprints, or
-- rebuilt everything, within the interval $1 (--reconcile-every). Reconciling reads every
-- source rental's fingerprint, seconds for millions of rentals; a schedule that runs every few
-- minutes need not pay that every time to catch deletes within the day.
-- $1 interval
SELECT coalesce(max(started_at) <= now() - $1::text::interval, true) AS due
  FROM rollup.etl_run
 WHERE status = 'succeeded' AND (reconciled OR mode = 'full');
