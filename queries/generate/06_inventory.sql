-- Generator step 6: the copies, from the plan of step 5.
INSERT INTO public.inventory (inventory_id, film_id, store_id, last_update)
SELECT inventory_id, film_id, store_id, s.history_end - s.weeks * 7
  FROM synthetic.copy_plan, synthetic.settings AS s
 ORDER BY inventory_id;
SELECT setval(pg_get_serial_sequence('public.inventory', 'inventory_id'), max(inventory_id))
  FROM public.inventory;
