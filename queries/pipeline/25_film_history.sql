-- Step 25: the history of the films (rollup.film_history, migrations/V13) against rollup.film as
-- step 21 left it; compared whole, as step 21 compares them (one row per film). A version that
-- differs is closed by this run, and the new values opened by it.
-- $1 run_id
WITH closed AS (
    UPDATE rollup.film_history AS h
       SET valid_to_run = $1::bigint
     WHERE h.valid_to_run IS NULL
       AND NOT EXISTS (SELECT FROM rollup.film AS f
                        WHERE f.film_id = h.film_id
                          AND (f.title, f.category, f.rental_rate, f.rental_duration)
                              IS NOT DISTINCT FROM (h.title, h.category, h.rental_rate, h.rental_duration))
    RETURNING 1
),
opened AS (
    INSERT INTO rollup.film_history (film_id, title, category, rental_rate, rental_duration, valid_from_run)
    SELECT f.film_id, f.title, f.category, f.rental_rate, f.rental_duration, $1::bigint
      FROM rollup.film AS f
     WHERE NOT EXISTS (SELECT FROM rollup.film_history AS h
                        WHERE h.valid_to_run IS NULL AND h.film_id = f.film_id
                          AND (f.title, f.category, f.rental_rate, f.rental_duration)
                              IS NOT DISTINCT FROM (h.title, h.category, h.rental_rate, h.rental_duration))
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
