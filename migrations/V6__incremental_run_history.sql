-- What an incremental run needs to remember between runs, and what it reports.
ALTER TABLE rollup.etl_run
    ADD COLUMN source_watermark timestamptz,
    ADD COLUMN lookback interval,
    ADD COLUMN reconciled boolean,
    ADD COLUMN buckets_compared integer,
    ADD COLUMN buckets_repulled integer,
    ADD COLUMN rentals_changed bigint,
    ADD COLUMN rentals_deleted bigint,
    ADD COLUMN weeks_touched integer;

COMMENT ON COLUMN rollup.etl_run.rows_pulled IS
    'Rental rows received from the source through postgres_fdw: changed since the cursor, plus the '
    'rows of fingerprint buckets that differed (a full build: all of them).';
COMMENT ON COLUMN rollup.etl_run.source_watermark IS
    'The rollup server''s clock at the start of the run''s transaction. The next run pulls the source '
    'rows whose last_update is at or after this, minus its lookback.';
COMMENT ON COLUMN rollup.etl_run.lookback IS
    'How far before the previous watermark this run''s cursor reached back, to catch rows committed '
    'late by transactions that began before the previous run read the source.';
COMMENT ON COLUMN rollup.etl_run.reconciled IS
    'Whether the run compared per-bucket fingerprints of the source with the shadow (catches deletes '
    'and anything the cursor missed).';
COMMENT ON COLUMN rollup.etl_run.buckets_compared IS
    'Rental id buckets whose fingerprints were compared (one aggregated row each from the source).';
COMMENT ON COLUMN rollup.etl_run.buckets_repulled IS 'Buckets whose fingerprints differed and were pulled whole.';
COMMENT ON COLUMN rollup.etl_run.rentals_changed IS 'Rentals inserted or changed in the source since the last run.';
COMMENT ON COLUMN rollup.etl_run.rentals_deleted IS 'Rentals deleted from the source since the last run.';
COMMENT ON COLUMN rollup.etl_run.weeks_touched IS
    'Weeks whose rented or returned counts were recounted because a rental entered or left them.';
COMMENT ON COLUMN rollup.etl_run.weeks_recomputed IS
    'Weeks whose rows were recomputed: from the earliest touched week (or spine change) to the last week.';
