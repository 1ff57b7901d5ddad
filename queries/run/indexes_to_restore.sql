-- Full build: the statements that build again the primary key and indexes of one table, dropped
-- by indexes_dropped.sql (written by the server from the catalog; executed as they are).
-- $1 table
SELECT rebuild FROM dropped_index WHERE relation = $1::text::regclass ORDER BY rebuild_order;
