-- What the rollup was built with, and what every run did.

CREATE TABLE rollup.etl_run (
    run_id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at         timestamptz,
    status              text NOT NULL DEFAULT 'running'
                        CHECK (status IN ('running', 'succeeded', 'failed')),
    mode                text NOT NULL CHECK (mode IN ('full', 'incremental')),
    time_zone           text NOT NULL,
    through             date,
    rows_pulled         bigint,
    rentals_counted     bigint,
    rentals_quarantined bigint,
    weeks_recomputed    integer,
    weeks_inserted      integer,
    weeks_updated       integer,
    weeks_deleted       integer,
    error               text,
    CHECK ((status = 'running') = (finished_at IS NULL)),
    CHECK ((status = 'failed') = (error IS NOT NULL))
);
COMMENT ON TABLE rollup.etl_run IS
    'One row per `rollup run`. The row is committed as running before the run''s transaction begins, '
    'so a failed or killed run still leaves its record; the counts are written in the same transaction '
    'as the data.';
COMMENT ON COLUMN rollup.etl_run.status IS
    'running, succeeded, or failed (error says why; a run whose process died is marked failed by the next run).';
COMMENT ON COLUMN rollup.etl_run.mode IS
    'full: rollup tables rebuilt from scratch (first run, `--full`, or changed settings); '
    'incremental: recomputed and only rows whose values changed were written.';
COMMENT ON COLUMN rollup.etl_run.through IS 'The `--through` date the run extended the week spine to, if any.';
COMMENT ON COLUMN rollup.etl_run.rows_pulled IS 'Rows received from the source through postgres_fdw.';
COMMENT ON COLUMN rollup.etl_run.rentals_counted IS 'Source rentals counted in the weekly table.';
COMMENT ON COLUMN rollup.etl_run.rentals_quarantined IS
    'Source rentals left out of every count: returned before rented, or dated outside the plausible range.';
COMMENT ON COLUMN rollup.etl_run.weeks_recomputed IS 'Weeks whose values the run computed.';
COMMENT ON COLUMN rollup.etl_run.weeks_inserted IS 'Rows of rollup.weekly_rentals the run inserted.';
COMMENT ON COLUMN rollup.etl_run.weeks_updated IS 'Rows of rollup.weekly_rentals whose values the run changed.';
COMMENT ON COLUMN rollup.etl_run.weeks_deleted IS 'Rows of rollup.weekly_rentals the run deleted.';
COMMENT ON COLUMN rollup.etl_run.error IS 'Why the run failed, with its whole cause chain.';

-- One row: the settings that give the numbers their meaning. A run with other settings must
-- rebuild everything, so the runner compares its settings with this row before every run.
CREATE TABLE rollup.build_settings (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    time_zone   text NOT NULL,
    week_start  text NOT NULL CHECK (week_start = 'monday'),
    built_at    timestamptz NOT NULL,
    built_by_run bigint NOT NULL REFERENCES rollup.etl_run
);
COMMENT ON TABLE rollup.build_settings IS
    'The settings the rollup tables were last fully built with (one row). A run whose settings differ '
    'rebuilds everything.';
COMMENT ON COLUMN rollup.build_settings.time_zone IS
    'IANA time zone in which weeks begin at Monday 00:00 (`--timezone` / ROLLUP_TIMEZONE).';
COMMENT ON COLUMN rollup.build_settings.week_start IS 'Day on which weeks begin.';
COMMENT ON COLUMN rollup.build_settings.built_at IS 'When the last full build committed.';
COMMENT ON COLUMN rollup.build_settings.built_by_run IS 'The rollup.etl_run of the last full build.';
