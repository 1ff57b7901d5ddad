-- Full build: the rental shadow's primary key and indexes, dropped by shadow_indexes_dropped.sql,
-- built again over the copied rows.
DO $$
DECLARE
    statement text;
BEGIN
    FOR statement IN SELECT rebuild FROM dropped_index ORDER BY rebuild_order LOOP
        EXECUTE statement;
    END LOOP;
END
$$;
