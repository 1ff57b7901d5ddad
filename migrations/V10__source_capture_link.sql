-- The opt-in delete capture on the source (`rollup capture install`, queries/capture/) as the rollup
-- reads it: its two tables imported through postgres_fdw into a schema of their own, or dropped
-- when the source has no capture. rollup.link_source() (V2) links the tables every run needs;
-- this links the optional ones, so a source without the capture never fails a run.
CREATE SCHEMA IF NOT EXISTS source_capture;
COMMENT ON SCHEMA source_capture IS
    'Foreign tables of the source''s opt-in delete capture (schema rollup_capture there), imported through '
    'postgres_fdw server pagila_source by rollup.link_capture() when the source has it. Empty otherwise.';

CREATE FUNCTION rollup.link_capture(present boolean) RETURNS boolean
LANGUAGE plpgsql
AS $function$
DECLARE
    foreign_table record;
BEGIN
    FOR foreign_table IN
        SELECT c.relname
          FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = 'source_capture' AND c.relkind = 'f'
    LOOP
        EXECUTE format('DROP FOREIGN TABLE source_capture.%I', foreign_table.relname);
    END LOOP;
    IF present THEN
        IMPORT FOREIGN SCHEMA rollup_capture LIMIT TO (installation, deleted_rental)
          FROM SERVER pagila_source INTO source_capture;
    END IF;
    RETURN present;
END
$function$;
COMMENT ON FUNCTION rollup.link_capture(boolean) IS
    'Imports the source''s delete capture tables into schema source_capture (present), or drops them. '
    'Called by `rollup run` when what it finds on the source differs from what is linked.';
