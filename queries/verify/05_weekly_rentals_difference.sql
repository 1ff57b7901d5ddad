-- Verify, step 5: every week where the stored table and the recomputation disagree, side by side.
SELECT coalesce(s.week_beginning, e.week_beginning) AS week_beginning,
       s.rented_rentals AS stored_rented, e.rented_rentals AS expected_rented,
       s.returned_rentals AS stored_returned, e.returned_rentals AS expected_returned,
       s.outstanding_rentals AS stored_outstanding, e.outstanding_rentals AS expected_outstanding,
       s.outstanding_at_start AS stored_at_start, e.outstanding_at_start AS expected_at_start,
       s.out_during_week AS stored_during, e.out_during_week AS expected_during
  FROM rollup.weekly_rentals AS s
  FULL JOIN weekly_rentals_expected AS e USING (week_beginning)
 WHERE (s.rented_rentals, s.returned_rentals, s.outstanding_at_start, s.outstanding_rentals, s.out_during_week)
       IS DISTINCT FROM
       (e.rented_rentals, e.returned_rentals, e.outstanding_at_start, e.outstanding_rentals, e.out_during_week)
 ORDER BY 1;
