-- The peer: the weekly table as public solutions compute it, run on the source database itself,
-- with one correlated subquery per week and number.
WITH week AS (
    SELECT generate_series(date_bin(interval '7 days', min(rental_date), timestamptz '1970-01-05 00:00+00'),
                           max(rental_date), interval '7 days') AS week_beginning
      FROM rental
)
SELECT w.week_beginning,
       (SELECT count(*) FROM rental AS r
         WHERE r.rental_date >= w.week_beginning AND r.rental_date < w.week_beginning + interval '7 days') AS rented,
       (SELECT count(*) FROM rental AS r
         WHERE r.return_date >= w.week_beginning AND r.return_date < w.week_beginning + interval '7 days') AS returned,
       (SELECT count(*) FROM rental AS r
         WHERE r.rental_date < w.week_beginning + interval '7 days'
           AND (r.return_date IS NULL OR r.return_date >= w.week_beginning + interval '7 days')) AS outstanding
  FROM week AS w
 ORDER BY 1;
