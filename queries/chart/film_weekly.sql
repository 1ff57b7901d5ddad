-- One film's weekly series per store for `rollup chart --film`, from the dense panel: every store
-- holding a copy of the film, every week of the spine, zeros where no copy was out, and the
-- copies the store holds now. Store by store, oldest week first. $1 film_id
SELECT store_id,
       week_beginning,
       copies::bigint AS copies,
       outstanding_rentals,
       rented_rentals,
       returned_rentals
  FROM rollup.film_weekly_features
 WHERE film_id = $1
 ORDER BY store_id, week_beginning;
