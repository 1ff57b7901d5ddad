-- Step 2, full build: every copy, sent by the source in the snapshot the rentals were sent in
-- (02_full_rental_shadow), so each rental's film and store and the inventory shadow agree.
COPY (SELECT inventory_id::integer, film_id::integer, store_id::integer, last_update::timestamptz
        FROM public.inventory) TO STDOUT (FORMAT binary)
