-- Step 14, full build: every day's flow into the staging day flows (published by
-- queries/build/tables_replaced.sql). Returns the earliest day written.
-- $1 run_id
WITH inserted AS (
    INSERT INTO rollup_build.day_flow (day, rented_rentals, returned_rentals, peak_rise, run_id)
    SELECT day, rented_rentals, returned_rentals, peak_rise, $1::bigint FROM day_flow_computed
    RETURNING day
)
SELECT (SELECT min(day) FROM inserted) AS first_changed_day,
       (SELECT count(*) FROM inserted)::integer AS days_written;
