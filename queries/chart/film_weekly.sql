-- One film's weekly series per store for `rollup chart --film`, dense: every store holding a copy
-- of the film, every week of the spine, zeros where no copy was out, and the copies the store
-- holds now. The same rows as rollup.film_weekly_features has for the film, read from the current
-- tables: the feature panel is computed from the revision history for every film at once, which
-- a filter on one film cannot narrow, while rollup.film_weekly's sums run per (film, store) and
-- the filter reaches its flows. Store by store, oldest week first. $1 film_id
SELECT h.store_id,
       s.week_beginning,
       h.copies,
       coalesce(w.outstanding_rentals, 0) AS outstanding_rentals,
       coalesce(w.rented_rentals, 0) AS rented_rentals,
       coalesce(w.returned_rentals, 0) AS returned_rentals
  FROM (SELECT i.store_id, count(*) AS copies
          FROM rollup.inventory_shadow AS i
         WHERE i.film_id = $1
         GROUP BY i.store_id) AS h
 CROSS JOIN rollup.weekly_rentals AS s
  LEFT JOIN rollup.film_weekly AS w
         ON w.film_id = $1 AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
 ORDER BY h.store_id, s.week_beginning;
