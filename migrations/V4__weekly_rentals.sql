-- The weekly table and the report view in the shape of the assignment's sample.
-- Definitions live in the comments so that `\d+ rollup.weekly_rentals` in psql explains the data.
CREATE TABLE rollup.weekly_rentals (
    week_beginning      date PRIMARY KEY,
    rented_rentals      bigint NOT NULL CHECK (rented_rentals >= 0),
    returned_rentals    bigint NOT NULL CHECK (returned_rentals >= 0),
    outstanding_at_start bigint NOT NULL CHECK (outstanding_at_start >= 0),
    outstanding_rentals bigint NOT NULL CHECK (outstanding_rentals >= 0),
    out_during_week     bigint NOT NULL CHECK (out_during_week >= 0),
    run_id              bigint NOT NULL REFERENCES rollup.etl_run,
    -- The identities that hold by definition; a row violating one is a bug, never data.
    CHECK (out_during_week = outstanding_at_start + rented_rentals),
    CHECK (outstanding_rentals = outstanding_at_start + rented_rentals - returned_rentals)
);

COMMENT ON TABLE rollup.weekly_rentals IS
    'One row per week, every week from the week of the earliest counted rental to the week of the latest '
    'rental or return (or the week of `rollup run --through DATE`), without gaps. A week is the half-open '
    'interval [Monday 00:00, next Monday 00:00) in the time zone the rollup was built with '
    '(rollup.build_settings). Rentals returned before they were rented, or dated outside the plausible '
    'range, are left out of every count (see rollup.etl_run.rentals_quarantined).';
COMMENT ON COLUMN rollup.weekly_rentals.week_beginning IS
    'Local date of the Monday that starts the week; an event exactly at Monday 00:00 belongs to this week.';
COMMENT ON COLUMN rollup.weekly_rentals.rented_rentals IS
    'Rentals whose rental_date falls in the week.';
COMMENT ON COLUMN rollup.weekly_rentals.returned_rentals IS
    'Rentals whose return_date falls in the week.';
COMMENT ON COLUMN rollup.weekly_rentals.outstanding_at_start IS
    'Rentals out when the week began: rental_date before Monday 00:00 and return_date null or not before '
    'it. Equals the previous week''s outstanding_rentals.';
COMMENT ON COLUMN rollup.weekly_rentals.outstanding_rentals IS
    'Rentals out at the end of the week: rental_date before the next Monday 00:00 and return_date null or '
    'not before it. A rental never returned is out in every week from its rental week on.';
COMMENT ON COLUMN rollup.weekly_rentals.out_during_week IS
    'Rentals out at any moment of the week: outstanding_at_start + rented_rentals.';
COMMENT ON COLUMN rollup.weekly_rentals.run_id IS
    'The rollup.etl_run that last wrote this row.';

CREATE VIEW rollup.weekly_report AS
SELECT week_beginning      AS "WeekBeginning",
       outstanding_rentals AS "OutstandingRentals",
       returned_rentals    AS "ReturnedRentals"
  FROM rollup.weekly_rentals
 ORDER BY week_beginning;

COMMENT ON VIEW rollup.weekly_report IS
    'The weekly report in the shape of the assignment''s sample, ordered by week; '
    'see rollup.weekly_rentals for the definitions.';
COMMENT ON COLUMN rollup.weekly_report."WeekBeginning" IS 'Monday that starts the week (local date).';
COMMENT ON COLUMN rollup.weekly_report."OutstandingRentals" IS 'Rentals out at the end of the week.';
COMMENT ON COLUMN rollup.weekly_report."ReturnedRentals" IS 'Rentals returned during the week.';
