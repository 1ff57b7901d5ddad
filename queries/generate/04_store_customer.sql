-- Generator step 4: the stores and the customers, scaled with the number of rentals.
-- Store n is managed by staff n (Pagila: staff 1 and 2 run stores 1 and 2), and its rentals are
-- taken by that staff member. Customers borrow Pagila's names in turn and belong to a home store.
INSERT INTO public.store (store_id, manager_staff_id, address_id)
SELECT n, n, n FROM synthetic.settings, generate_series(1, stores) AS n;

INSERT INTO public.customer (customer_id, store_id, first_name, last_name, email, address_id, active, create_date)
SELECT n,
       1 + n % s.stores,
       p.first_name,
       p.last_name,
       lower(p.first_name || '.' || p.last_name || '.' || n || '@example.org'),
       n,
       1,
       s.history_end - s.weeks * 7
  FROM synthetic.settings AS s,
       generate_series(1, s.customers) AS n
  JOIN (SELECT row_number() OVER (ORDER BY customer_id) AS k, first_name, last_name
          FROM synthetic.pagila_customer) AS p
    ON p.k = 1 + (n - 1) % (SELECT count(*) FROM synthetic.pagila_customer);
