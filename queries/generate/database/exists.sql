-- Whether a database of this name exists on the server.
-- $1 database name
SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1) AS present;
