COPY (SELECT film_id, category_id, last_update FROM film_category) TO STDOUT
