-- Step 21, incremental: the source's films with their category (the first by name), pulled whole
-- (one row per film) through postgres_fdw, the category join running on the source.
CREATE TEMP VIEW pulled_film AS
SELECT f.film_id, f.title, fc.category, f.rental_rate, f.rental_duration
  FROM source.film AS f
  LEFT JOIN (SELECT fc.film_id, min(c.name) AS category
               FROM source.film_category AS fc
               JOIN source.category AS c ON c.category_id = fc.category_id
              GROUP BY fc.film_id) AS fc ON fc.film_id = f.film_id;
