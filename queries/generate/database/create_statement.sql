-- CREATE DATABASE cannot take parameters; the server quotes the name (format %I).
-- $1 database name
SELECT format('CREATE DATABASE %I', $1::text) AS statement;
