COPY public.category (category_id, name, last_update) FROM STDIN
