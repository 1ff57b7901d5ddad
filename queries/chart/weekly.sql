-- The shop-wide weekly series `rollup chart` draws, oldest week first.
SELECT week_beginning, outstanding_rentals, rented_rentals, returned_rentals
  FROM rollup.weekly_rentals
 ORDER BY week_beginning;
