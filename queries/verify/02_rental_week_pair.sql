-- Verify, step 2: the only read of the source, aggregated on the source.
--
-- For every (rental week, return week) pair, how many rentals have it, and how many of those were
-- returned before they were rented. postgres_fdw ships the whole GROUP BY, so a handful of rows per
-- week crosses the network instead of one row per rental (tests/pushdown.rs fails if that is lost;
-- check with EXPLAIN VERBOSE: `Remote SQL: SELECT width_bucket(...), ..., count(*) ... GROUP BY 1, 2`).
-- The bounds array reaches the source as a query parameter of the remote statement.
--
-- width_bucket returns 0 for an instant before the first bound, the number of bounds for one at or
-- after the last, and null for a null return_date (not returned).
CREATE TEMP TABLE rental_week_pair ON COMMIT DROP AS
SELECT width_bucket(r.rental_date, (SELECT array_agg(starts_at ORDER BY bucket) FROM week_bound)) AS rental_bucket,
       width_bucket(r.return_date, (SELECT array_agg(starts_at ORDER BY bucket) FROM week_bound)) AS return_bucket,
       count(*) AS rentals,
       count(*) FILTER (WHERE r.return_date < r.rental_date) AS returned_before_rented
  FROM source.rental AS r
 GROUP BY 1, 2;
