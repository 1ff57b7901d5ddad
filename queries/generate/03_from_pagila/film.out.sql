COPY (SELECT film_id, title, description, release_year::integer, language_id, rental_duration, rental_rate, length, replacement_cost, rating::text, last_update FROM film) TO STDOUT
