-- Whether the lookback ($1, PostgreSQL interval syntax such as '1 hour') is not negative; an
-- unparsable value fails here with the server's own message.
SELECT $1::text::interval >= interval '0' AS valid;
