-- Written inside the run's transaction: the record says succeeded exactly when the data committed,
-- and the watermark (now(): the start of this transaction, before the source was read, unless the
-- full build gives the instant before its snapshot) becomes the next run's starting point only then.
-- The run's counters arrive as one JSON object whose keys are etl_run's column names (the
-- serialized Outcome of src/run/record.rs), read into a row of etl_run's own type: a counter is
-- named here once, and never by its position.
-- $1 run_id, $2 lookback, $3 watermark (null: now()), $4 the counters
UPDATE rollup.etl_run AS r
   SET status = 'succeeded',
       finished_at = clock_timestamp(),
       source_watermark = coalesce($3::timestamptz, now()),
       lookback = $2::text::interval,
       (reconciled, delete_check, capture_generation, rows_pulled, buckets_compared, buckets_repulled,
        rentals_changed, rentals_deleted, rentals_counted, rentals_quarantined, copies_changed,
        days_touched, weeks_touched, weeks_recomputed, weeks_inserted, weeks_updated, weeks_deleted,
        film_stores_recomputed, film_weeks_recomputed, film_weeks_written, service_level,
        pairs_recommended, recommendations_written) =
       (SELECT c.reconciled, c.delete_check, c.capture_generation, c.rows_pulled, c.buckets_compared,
               c.buckets_repulled, c.rentals_changed, c.rentals_deleted, c.rentals_counted,
               c.rentals_quarantined, c.copies_changed, c.days_touched, c.weeks_touched,
               c.weeks_recomputed, c.weeks_inserted, c.weeks_updated, c.weeks_deleted,
               c.film_stores_recomputed, c.film_weeks_recomputed, c.film_weeks_written, c.service_level,
               c.pairs_recommended, c.recommendations_written
          FROM jsonb_populate_record(NULL::rollup.etl_run, $4::jsonb) AS c),
       data_issues = (SELECT count(*) FROM rollup.data_issue)
 WHERE r.run_id = $1;
