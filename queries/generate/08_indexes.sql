-- Generator step 8: Pagila's keys and indexes, built after the load as a restore would, plus the
-- index on rental.last_update that the rollup's change cursor needs on a large source.
SET LOCAL maintenance_work_mem = '1GB';
ALTER TABLE public.rental ADD PRIMARY KEY (rental_id);
CREATE UNIQUE INDEX idx_unq_rental_rental_date_inventory_id_customer_id
    ON public.rental (rental_date, inventory_id, customer_id);
CREATE INDEX idx_fk_inventory_id ON public.rental (inventory_id);
CREATE INDEX rental_last_update ON public.rental (last_update);
CREATE INDEX idx_store_id_film_id ON public.inventory (store_id, film_id);
SELECT setval(pg_get_serial_sequence('public.rental', 'rental_id'), max(rental_id)) FROM public.rental;
ANALYZE;
