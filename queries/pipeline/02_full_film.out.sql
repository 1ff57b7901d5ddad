-- Step 2, full build: every film with its category (the first by name), sent by the source in the
-- snapshot the rentals and the copies were sent in, cast to rollup.film's types (binary COPY needs
-- them exact).
COPY (SELECT f.film_id::integer, f.title::text, fc.category::text, f.rental_rate::numeric(4,2),
             f.rental_duration::smallint
        FROM public.film AS f
        LEFT JOIN (SELECT fc.film_id, min(c.name) AS category
                     FROM public.film_category AS fc
                     JOIN public.category AS c ON c.category_id = fc.category_id
                    GROUP BY fc.film_id) AS fc ON fc.film_id = f.film_id) TO STDOUT (FORMAT binary)
