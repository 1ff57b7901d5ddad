-- Step 14, incremental: the touched days' flows into rollup.day_flow, only where they differ; a
-- touched day left without events loses its row. Returns the earliest day written, from which
-- step 16 recomputes the weeks (nothing written: no week changes).
-- $1 run_id
WITH deleted AS (
    DELETE FROM rollup.day_flow AS d
     USING touched_day AS t
     WHERE d.day = t.day
       AND NOT EXISTS (SELECT FROM day_flow_computed AS c WHERE c.day = t.day)
    RETURNING d.day
),
updated AS (
    UPDATE rollup.day_flow AS d
       SET rented_rentals = c.rented_rentals, returned_rentals = c.returned_rentals,
           peak_rise = c.peak_rise, run_id = $1::bigint
      FROM day_flow_computed AS c
     WHERE c.day = d.day
       AND (d.rented_rentals, d.returned_rentals, d.peak_rise)
           IS DISTINCT FROM (c.rented_rentals, c.returned_rentals, c.peak_rise)
    RETURNING d.day
),
inserted AS (
    INSERT INTO rollup.day_flow (day, rented_rentals, returned_rentals, peak_rise, run_id)
    SELECT c.day, c.rented_rentals, c.returned_rentals, c.peak_rise, $1::bigint
      FROM day_flow_computed AS c
     WHERE NOT EXISTS (SELECT FROM rollup.day_flow AS d WHERE d.day = c.day)
    RETURNING day
),
written AS (
    SELECT day FROM deleted UNION ALL SELECT day FROM updated UNION ALL SELECT day FROM inserted
)
SELECT (SELECT min(day) FROM written) AS first_changed_day,
       (SELECT count(*) FROM written)::integer AS days_written;
