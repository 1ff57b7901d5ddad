-- Generator step 9: what was generated, for the command's report, as (measure, value) rows; the
-- rentals open for over a year only with --dirty.
WITH per_film AS (
    SELECT i.film_id, count(*) AS rentals,
           row_number() OVER (ORDER BY count(*) DESC) AS popularity
      FROM public.rental AS r JOIN public.inventory AS i USING (inventory_id)
     GROUP BY i.film_id
),
share AS (
    SELECT round(100.0 * sum(rentals) FILTER (WHERE popularity <= f.films / 100) / sum(rentals), 1) AS top_1,
           round(100.0 * sum(rentals) FILTER (WHERE popularity <= f.films / 10) / sum(rentals), 1) AS top_10
      FROM per_film, (SELECT count(*) AS films FROM public.film) AS f
)
SELECT measure, value
  FROM share,
       LATERAL (VALUES
           ('rentals', (SELECT count(*) FROM public.rental)::text),
           ('still out at the end', (SELECT count(*) FROM public.rental WHERE return_date IS NULL)::text),
           ('open for over a year at the end',
            CASE WHEN (SELECT dirty FROM synthetic.settings)
                 THEN (SELECT count(*) FROM public.rental
                        WHERE return_date IS NULL
                          AND rental_date < (SELECT history_end FROM synthetic.settings) - interval '1 year')::text
            END),
           ('first rental', (SELECT min(rental_date) FROM public.rental)::text),
           ('last rental', (SELECT max(rental_date) FROM public.rental)::text),
           ('stores', (SELECT count(*) FROM public.store)::text),
           ('copies', (SELECT count(*) FROM public.inventory)::text),
           ('films stocked', (SELECT count(DISTINCT film_id) FROM public.inventory)::text
                             || ' of ' || (SELECT count(*) FROM public.film)),
           ('customers', (SELECT count(*) FROM public.customer)::text),
           ('rentals of the top 1% of films', share.top_1 || '%'),
           ('rentals of the top 10% of films', share.top_10 || '%')) AS summary (measure, value)
 WHERE value IS NOT NULL;
