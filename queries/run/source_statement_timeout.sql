-- Sent to the source directly (SOURCE_URL): the statement timeout its sessions get from the role's
-- or the database's settings ('0': none). postgres_fdw's sessions as the same role get the same.
SELECT current_setting('statement_timeout') AS statement_timeout;
