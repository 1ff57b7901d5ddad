-- Step 1: point postgres_fdw at the source and re-import its tables into schema `source`.
-- rollup.link_source() (migrations/V11__source_link_options.sql) quotes every value on the server.
-- $1 host, $2 port, $3 database, $4 user, $5 password (null: none), $6 remote schema, $7 tables,
-- $8 the URL's other libpq parameters as name=value (sslmode, sslrootcert, ...)
SELECT rollup.link_source($1, $2, $3, $4, $5, $6, $7::text[], $8::text[]) AS imported_tables;
