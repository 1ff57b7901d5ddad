-- DROP DATABASE cannot take parameters; the server quotes the name (format %I).
-- $1 database name
SELECT format('DROP DATABASE %I', $1::text) AS statement;
