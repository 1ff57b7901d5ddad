-- Lower bound: returns per week, aggregated on the source (postgres_fdw ships the GROUP BY).
SELECT date_bin(interval '7 days', r.return_date, timestamptz '1970-01-05 00:00+00') AS week_beginning,
       count(*) AS returned
  FROM source.rental AS r
 GROUP BY 1;
