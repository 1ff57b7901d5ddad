-- Step 21: rollup.film, the films with their category for the feature panel, written where they
-- changed; a film the source no longer has goes. What the source has is the temporary view
-- pulled_film (21_pulled_film.full.sql or .incremental.sql).
WITH pulled AS MATERIALIZED (
    -- read once (through postgres_fdw in an incremental run), compared twice
    SELECT film_id, title, category, rental_rate, rental_duration FROM pulled_film
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
