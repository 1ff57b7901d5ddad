-- Step 17: write the recomputed weeks into rollup.weekly_rentals, only what differs.
--
-- Weeks outside the spine are deleted, recomputed weeks whose numbers changed are updated, new
-- weeks are inserted; a week whose numbers are unchanged is not written (no new row version, no
-- WAL), so a run over an unchanged source writes nothing. All three run in one statement and see
-- the same snapshot.
--
-- $1 run_id
WITH deleted AS (
    DELETE FROM rollup.weekly_rentals AS w
     USING week_spine AS s
     WHERE s.first_week IS NULL OR w.week_beginning < s.first_week OR w.week_beginning > s.last_week
    RETURNING 1
),
updated AS (
    UPDATE rollup.weekly_rentals AS w
       SET rented_rentals = c.rented_rentals,
           returned_rentals = c.returned_rentals,
           outstanding_at_start = c.outstanding_at_start,
           outstanding_rentals = c.outstanding_rentals,
           out_during_week = c.out_during_week,
           peak_outstanding = c.peak_outstanding,
           run_id = $1
      FROM weekly_rentals_computed AS c
     WHERE c.week_beginning = w.week_beginning
       AND (w.rented_rentals, w.returned_rentals, w.outstanding_at_start, w.outstanding_rentals,
            w.out_during_week, w.peak_outstanding)
           IS DISTINCT FROM
           (c.rented_rentals, c.returned_rentals, c.outstanding_at_start, c.outstanding_rentals,
            c.out_during_week, c.peak_outstanding)
    RETURNING 1
),
inserted AS (
    INSERT INTO rollup.weekly_rentals
           (week_beginning, rented_rentals, returned_rentals, outstanding_at_start, outstanding_rentals,
            out_during_week, peak_outstanding, run_id)
    SELECT c.week_beginning, c.rented_rentals, c.returned_rentals, c.outstanding_at_start,
           c.outstanding_rentals, c.out_during_week, c.peak_outstanding, $1
      FROM weekly_rentals_computed AS c
     WHERE NOT EXISTS (SELECT FROM rollup.weekly_rentals AS w WHERE w.week_beginning = c.week_beginning)
    RETURNING 1
)
SELECT (SELECT count(*) FROM weekly_rentals_computed)::integer AS weeks_recomputed,
       (SELECT count(*) FROM inserted)::integer AS weeks_inserted,
       (SELECT count(*) FROM updated)::integer AS weeks_updated,
       (SELECT count(*) FROM deleted)::integer AS weeks_deleted;
