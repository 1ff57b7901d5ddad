-- Runs still marked running whose process died (killed, crashed, lost its connection). Only called
-- while holding the run lock, so no live run can be among them.
UPDATE rollup.etl_run
   SET status = 'failed',
       finished_at = clock_timestamp(),
       error = 'abandoned: the run''s process ended before it finished; its changes were rolled back'
 WHERE status = 'running';
