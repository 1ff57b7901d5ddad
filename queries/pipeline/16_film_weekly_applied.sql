-- Step 16: write the recomputed pairs' rows into rollup.film_weekly, only what differs, and drop
-- rows outside the spine, and rows of a recomputed range that it no longer has. Each way a row can go is found through an index (the week index for
-- the spine's ends, the key for the recomputed pairs), so a run that recomputes nothing reads
-- nothing of a table that holds millions of rows.
-- $1 run_id
WITH doomed AS (
    SELECT w.film_id, w.store_id, w.week_beginning
      FROM week_spine AS s
      JOIN rollup.film_weekly AS w ON s.first_week IS NULL
    UNION ALL
    SELECT w.film_id, w.store_id, w.week_beginning
      FROM week_spine AS s
      JOIN rollup.film_weekly AS w ON w.week_beginning < s.first_week
    UNION ALL
    SELECT w.film_id, w.store_id, w.week_beginning
      FROM week_spine AS s
      JOIN rollup.film_weekly AS w ON w.week_beginning > s.last_week
    UNION ALL
    SELECT w.film_id, w.store_id, w.week_beginning
      FROM recomputed_film_store AS k
      JOIN rollup.film_weekly AS w USING (film_id, store_id)
     WHERE w.week_beginning BETWEEN k.from_week AND k.to_week
       AND NOT EXISTS (SELECT FROM film_weekly_computed AS c
                        WHERE c.film_id = w.film_id AND c.store_id = w.store_id
                          AND c.week_beginning = w.week_beginning)
),
deleted AS (
    DELETE FROM rollup.film_weekly AS w
     USING (SELECT DISTINCT * FROM doomed) AS d
     WHERE (w.film_id, w.store_id, w.week_beginning) = (d.film_id, d.store_id, d.week_beginning)
    RETURNING 1
),
updated AS (
    UPDATE rollup.film_weekly AS w
       SET rented_rentals = c.rented_rentals,
           returned_rentals = c.returned_rentals,
           outstanding_at_start = c.outstanding_at_start,
           outstanding_rentals = c.outstanding_rentals,
           peak_outstanding = c.peak_outstanding,
           copies = c.copies,
           hours_all_copies_out = c.hours_all_copies_out,
           run_id = $1
      FROM film_weekly_computed AS c
     WHERE c.film_id = w.film_id AND c.store_id = w.store_id AND c.week_beginning = w.week_beginning
       AND (w.rented_rentals, w.returned_rentals, w.outstanding_at_start, w.outstanding_rentals,
            w.peak_outstanding, w.copies, w.hours_all_copies_out)
           IS DISTINCT FROM
           (c.rented_rentals, c.returned_rentals, c.outstanding_at_start, c.outstanding_rentals,
            c.peak_outstanding, c.copies, c.hours_all_copies_out)
    RETURNING 1
),
inserted AS (
    INSERT INTO rollup.film_weekly
           (film_id, store_id, week_beginning, rented_rentals, returned_rentals, outstanding_at_start,
            outstanding_rentals, peak_outstanding, copies, hours_all_copies_out, run_id)
    SELECT c.film_id, c.store_id, c.week_beginning, c.rented_rentals, c.returned_rentals,
           c.outstanding_at_start, c.outstanding_rentals, c.peak_outstanding, c.copies,
           c.hours_all_copies_out, $1
      FROM film_weekly_computed AS c
     WHERE NOT EXISTS (SELECT FROM rollup.film_weekly AS w
                        WHERE w.film_id = c.film_id AND w.store_id = c.store_id
                          AND w.week_beginning = c.week_beginning)
    RETURNING 1
)
SELECT (SELECT count(*) FROM film_weekly_computed)::integer AS film_weeks_recomputed,
       (SELECT count(*) FROM inserted)::integer AS film_weeks_inserted,
       (SELECT count(*) FROM updated)::integer AS film_weeks_updated,
       (SELECT count(*) FROM deleted)::integer AS film_weeks_deleted;
