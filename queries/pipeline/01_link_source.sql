-- Step 1: point postgres_fdw at the source and re-import its tables into schema `source`.
-- rollup.link_source() (migrations/V2__source_link.sql) quotes every value on the server.
-- $1 host, $2 port, $3 database, $4 user, $5 password (null: none), $6 remote schema, $7 tables
SELECT rollup.link_source($1, $2, $3, $4, $5, $6, $7::text[]) AS imported_tables;
