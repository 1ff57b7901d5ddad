-- Step 2, full build: the receiving end of 02_full_rental_shadow.out.sql, into the shadow that
-- clear_for_full_build emptied in this transaction.
COPY rollup.rental_shadow (rental_id, rental_date, return_date, inventory_id, last_update, rental_week, return_week)
FROM STDIN (FORMAT binary)
