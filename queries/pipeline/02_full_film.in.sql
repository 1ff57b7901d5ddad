-- Step 2, full build: the receiving end of 02_full_film.out.sql.
COPY rollup_build.film (film_id, title, category, rental_rate, rental_duration) FROM STDIN (FORMAT binary, FREEZE)
