-- Step 5, incremental, after step 3 read the capture: the source's rows of the captured ids, if
-- any: a rental deleted and inserted again under its id is there, one only deleted is not, and
-- step 6 calls it deleted. The ids reach the source as one array parameter.
INSERT INTO pulled_rental (rental_id, rental_date, return_date, inventory_id, last_update)
SELECT r.rental_id, r.rental_date, r.return_date, r.inventory_id, r.last_update
  FROM source.rental AS r
 WHERE r.rental_id = ANY ((SELECT array_agg(rental_id) FROM captured_deletion)::integer[]);
