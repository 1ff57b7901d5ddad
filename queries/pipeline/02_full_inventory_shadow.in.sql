-- Step 2, full build: the receiving end of 02_full_inventory_shadow.out.sql (FREEZE: see
-- 02_full_rental_shadow.in.sql).
COPY rollup_build.inventory_shadow (inventory_id, film_id, store_id, last_update) FROM STDIN (FORMAT binary, FREEZE)
