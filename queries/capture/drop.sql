-- `rollup capture drop`: the capture, its triggers and its log, all at once. The next run finds no
-- capture and looks for deletes by the totals again.
DROP SCHEMA rollup_capture CASCADE;
