-- Whether this run compares full fingerprints with the source (step 4, hashes): when no successful
-- run has done so, or rebuilt everything, within the interval $1 (--reconcile-every). Deletes are
-- found by every run whatever this says (step 3); the full comparison also sees writes that
-- bypassed Pagila's last_update trigger, and commits later than the lookback reaches, but reads
-- every source rental (seconds for millions of rentals).
-- $1 interval
SELECT coalesce(max(started_at) <= now() - $1::text::interval, true) AS due
  FROM rollup.etl_run
 WHERE status = 'succeeded' AND (reconciled OR mode = 'full');
