-- Step 17: the films, with their category, for the feature panel. Pulled whole (one row per film);
-- the category join runs on the source. A film with several categories gets the first by name.
WITH pulled AS (
    SELECT f.film_id, f.title, fc.category, f.rental_rate, f.rental_duration
      FROM source.film AS f
      LEFT JOIN (SELECT fc.film_id, min(c.name) AS category
                   FROM source.film_category AS fc
                   JOIN source.category AS c ON c.category_id = fc.category_id
                  GROUP BY fc.film_id) AS fc ON fc.film_id = f.film_id
),
deleted AS (
    DELETE FROM rollup.film AS r
     WHERE NOT EXISTS (SELECT FROM pulled AS p WHERE p.film_id = r.film_id)
    RETURNING 1
),
upserted AS (
    INSERT INTO rollup.film AS r (film_id, title, category, rental_rate, rental_duration)
    SELECT film_id, title, category, rental_rate, rental_duration FROM pulled
    ON CONFLICT (film_id) DO UPDATE
       SET title = excluded.title, category = excluded.category,
           rental_rate = excluded.rental_rate, rental_duration = excluded.rental_duration
     WHERE (r.title, r.category, r.rental_rate, r.rental_duration)
           IS DISTINCT FROM (excluded.title, excluded.category, excluded.rental_rate, excluded.rental_duration)
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) AS films_changed,
       (SELECT count(*) FROM deleted) AS films_deleted;
