-- Lower bound: every rental's slim row (what the rollup reads) moved through postgres_fdw into a
-- local table. Run inside a transaction that is rolled back.
CREATE TEMP TABLE bench_slim_rental ON COMMIT DROP AS
SELECT r.rental_id, r.rental_date, r.return_date, r.inventory_id, r.last_update
  FROM source.rental AS r;
