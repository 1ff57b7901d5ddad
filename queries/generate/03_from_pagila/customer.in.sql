COPY synthetic.pagila_customer (customer_id, first_name, last_name) FROM STDIN
