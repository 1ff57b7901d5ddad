COPY (SELECT customer_id, first_name, last_name FROM customer) TO STDOUT
