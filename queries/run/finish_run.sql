-- Written inside the run's transaction: the record says succeeded exactly when the data committed,
-- and the watermark (now(): the start of this transaction, before the source was read) becomes
-- the next run's starting point only then.
-- $1 run_id, $2 lookback, $3 reconciled, $4 rows pulled, $5 buckets compared, $6 buckets
-- re-pulled, $7 rentals changed, $8 rentals deleted, $9 rentals counted, $10 quarantined,
-- $11 weeks touched, $12..$15 weeks recomputed/inserted/updated/deleted, $16 copies changed,
-- $17 film-store pairs recomputed, $18 film weeks recomputed, $19 film weeks written, $20 how
-- deletes were looked for, $21 the capture installation seen, $22 days touched
UPDATE rollup.etl_run
   SET status = 'succeeded',
       finished_at = clock_timestamp(),
       source_watermark = coalesce($23::timestamptz, now()),
       lookback = $2::text::interval,
       reconciled = $3,
       rows_pulled = $4,
       buckets_compared = $5,
       buckets_repulled = $6,
       rentals_changed = $7,
       rentals_deleted = $8,
       rentals_counted = $9,
       rentals_quarantined = $10,
       weeks_touched = $11,
       weeks_recomputed = $12,
       weeks_inserted = $13,
       weeks_updated = $14,
       weeks_deleted = $15,
       copies_changed = $16,
       film_stores_recomputed = $17,
       film_weeks_recomputed = $18,
       film_weeks_written = $19,
       delete_check = $20,
       capture_generation = $21,
       days_touched = $22,
       data_issues = (SELECT count(*) FROM rollup.data_issue)
 WHERE run_id = $1;
