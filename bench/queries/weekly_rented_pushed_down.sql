-- Lower bound: rentals per week, aggregated on the source (postgres_fdw ships the GROUP BY).
SELECT date_bin(interval '7 days', r.rental_date, timestamptz '1970-01-05 00:00+00') AS week_beginning,
       count(*) AS rented
  FROM source.rental AS r
 GROUP BY 1;
