-- A full build recomputes every (film, store, week). DELETE, like rollup.weekly_rentals: readers
-- keep the previous numbers until the run commits.
DELETE FROM rollup.film_weekly;
