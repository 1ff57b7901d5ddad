-- Written inside the run's transaction: the record says succeeded exactly when the data committed.
-- $1 run_id, $2 rows pulled, $3 rentals counted, $4 quarantined, $5..$8 weeks recomputed/inserted/updated/deleted
UPDATE rollup.etl_run
   SET status = 'succeeded',
       finished_at = clock_timestamp(),
       rows_pulled = $2,
       rentals_counted = $3,
       rentals_quarantined = $4,
       weeks_recomputed = $5,
       weeks_inserted = $6,
       weeks_updated = $7,
       weeks_deleted = $8
 WHERE run_id = $1;
