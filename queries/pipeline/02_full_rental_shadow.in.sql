-- Step 2, full build: the receiving end of 02_full_rental_shadow.out.sql, into the staging shadow
-- (queries/build/staging_tables.sql) made in this transaction. FREEZE: the rows are written frozen
-- and their pages marked all-visible (the table was created in this transaction, so no one else
-- can see them before it commits), so the index-only scans of the next runs read no heap page and
-- no vacuum has to freeze ten million rows later.
COPY rollup_build.rental_shadow (rental_id, rental_date, return_date, inventory_id, last_update, rental_week, return_week,
                           film_id, store_id)
FROM STDIN (FORMAT binary, FREEZE)
