-- Step 21, full build: the films step 2 copied, in the source snapshot of the rentals and copies.
CREATE TEMP VIEW pulled_film AS
SELECT film_id, title, category, rental_rate, rental_duration FROM rollup_build.film;
