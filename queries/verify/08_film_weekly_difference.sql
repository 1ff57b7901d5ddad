-- Verify, step 8: the (film, store, week) rows where rollup.film_weekly's counts and the
-- recomputation disagree, the first 20 side by side, each with the total number that differ.
SELECT coalesce(s.film_id, e.film_id) AS film_id,
       coalesce(s.store_id, e.store_id) AS store_id,
       coalesce(s.week_beginning, e.week_beginning) AS week_beginning,
       s.rented_rentals AS stored_rented, e.rented_rentals AS expected_rented,
       s.returned_rentals AS stored_returned, e.returned_rentals AS expected_returned,
       s.outstanding_rentals AS stored_outstanding, e.outstanding_rentals AS expected_outstanding,
       s.copies::bigint AS stored_copies, e.copies::bigint AS expected_copies,
       count(*) OVER () AS differing
  FROM rollup.film_weekly AS s
  FULL JOIN film_weekly_expected AS e
         ON e.film_id = s.film_id AND e.store_id = s.store_id AND e.week_beginning = s.week_beginning
 WHERE (s.rented_rentals, s.returned_rentals, s.outstanding_at_start, s.outstanding_rentals, s.copies)
       IS DISTINCT FROM
       (e.rented_rentals, e.returned_rentals, e.outstanding_at_start, e.outstanding_rentals, e.copies)
 ORDER BY 3, 1, 2
 LIMIT 20;
