-- Data-quality findings by kind, with one example each.
SELECT kind, count(*) AS rentals, min(rental_id) AS example_rental
  FROM rollup.data_issue
 GROUP BY kind
 ORDER BY kind;
