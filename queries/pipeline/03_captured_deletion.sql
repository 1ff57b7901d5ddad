-- Step 3, incremental, when the source's delete capture is trusted (queries/run/capture_trusted.sql):
-- the rentals it logged as deleted since the cutoff ($1), read through its index on the stamp.
-- The log is stamped like last_update, so the cutoff and its lookback work as for step 2.
INSERT INTO captured_deletion (rental_id)
SELECT DISTINCT d.rental_id
  FROM source_capture.deleted_rental AS d
 WHERE d.deleted_at >= $1::timestamptz;
