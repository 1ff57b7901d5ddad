-- Lower bound of an incremental run: the slim rows changed since $1 (the run's cursor), pulled
-- through postgres_fdw with the source's last_update index into a local table. Rolled back.
CREATE TEMP TABLE bench_changed_rental ON COMMIT DROP AS
SELECT r.rental_id, r.rental_date, r.return_date, r.inventory_id, r.last_update
  FROM source.rental AS r
 WHERE r.last_update >= (SELECT $1::timestamptz);
