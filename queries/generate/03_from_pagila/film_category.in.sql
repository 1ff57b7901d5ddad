COPY public.film_category (film_id, category_id, last_update) FROM STDIN
