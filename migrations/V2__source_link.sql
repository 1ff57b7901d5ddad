-- How the rollup server reads the source: postgres_fdw, a schema `source` for the imported foreign
-- tables, and a function that points both at the source named by the runner's settings.
--
-- The foreign server, user mapping and foreign tables depend on runtime settings (host, port,
-- database, credentials), so they are not created here but by rollup.link_source(), which the runner
-- calls at the start of every run with bound parameters. Every value is quoted by the server
-- (format('%L'), format('%I')); nothing from the settings is spliced into SQL by the runner.
--
-- CREATE EXTENSION postgres_fdw needs a superuser (the extension is not trusted); on a managed
-- server let an administrator create it first, then this statement is a no-op.
CREATE EXTENSION IF NOT EXISTS postgres_fdw;

CREATE SCHEMA IF NOT EXISTS source;
COMMENT ON SCHEMA source IS
    'Foreign tables imported from the source (Pagila) database through postgres_fdw server pagila_source; '
    're-imported by rollup.link_source() at every run. Read-only views of the source, not copies.';

CREATE FUNCTION rollup.link_source(
    host text,
    port text,
    dbname text,
    remote_user text,
    remote_password text,
    remote_schema text,
    tables text[]
) RETURNS text[]
LANGUAGE plpgsql
AS $function$
DECLARE
    existing text;
    foreign_table record;
    imported text[];
BEGIN
    -- The server: created once, then its options replaced in place. DROP SERVER ... CASCADE would be
    -- simpler but would also drop anything built on the foreign tables.
    IF NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = 'pagila_source') THEN
        CREATE SERVER pagila_source FOREIGN DATA WRAPPER postgres_fdw;
    END IF;
    SELECT string_agg(format('DROP %I', split_part(option, '=', 1)), ', ')
      INTO existing
      FROM pg_foreign_server AS s, unnest(s.srvoptions) AS option
     WHERE s.srvname = 'pagila_source';
    -- fetch_size: 100 rows per round trip is postgres_fdw's default, far too few for bulk reads.
    -- connect_timeout: a source that does not answer fails the run instead of hanging it.
    EXECUTE format(
        'ALTER SERVER pagila_source OPTIONS (%s)',
        concat_ws(', ', existing,
                  format('ADD host %L, ADD port %L, ADD dbname %L, ADD fetch_size %L, ADD connect_timeout %L',
                         host, port, dbname, '10000', '10')));

    -- The user mapping of the role running the pipeline. postgres_fdw stores the password in
    -- pg_user_mapping (readable only by superusers and the mapping's own user through
    -- pg_user_mappings).
    IF NOT EXISTS (SELECT FROM pg_user_mappings
                    WHERE srvname = 'pagila_source' AND usename = current_user) THEN
        CREATE USER MAPPING FOR CURRENT_USER SERVER pagila_source;
    END IF;
    SELECT string_agg(format('DROP %I', split_part(option, '=', 1)), ', ')
      INTO existing
      FROM pg_user_mappings AS m, unnest(m.umoptions) AS option
     WHERE m.srvname = 'pagila_source' AND m.usename = current_user;
    EXECUTE format(
        'ALTER USER MAPPING FOR CURRENT_USER SERVER pagila_source OPTIONS (%s)',
        concat_ws(', ', existing,
                  format('ADD user %L', remote_user),
                  CASE WHEN remote_password IS NOT NULL THEN format('ADD password %L', remote_password) END));

    -- The foreign tables: re-imported every run so a changed source schema is picked up. film
    -- cannot be imported as is (its columns use Pagila's domain `year` and enum `mpaa_rating`,
    -- which the rollup database does not have), so it is declared below with the columns the
    -- rollup reads.
    FOR foreign_table IN
        SELECT c.relname
          FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = 'source' AND c.relkind = 'f'
    LOOP
        EXECUTE format('DROP FOREIGN TABLE source.%I', foreign_table.relname);
    END LOOP;
    EXECUTE format(
        'IMPORT FOREIGN SCHEMA %I LIMIT TO (%s) FROM SERVER pagila_source INTO source',
        remote_schema,
        (SELECT string_agg(quote_ident(t), ', ') FROM unnest(tables) AS t WHERE t <> 'film'));
    -- use_remote_estimate on inventory: without the source's own row estimates the planner keeps
    -- a join of rental and inventory local, fetching both tables (`rollup verify`'s per-film
    -- aggregate did); with them it ships the join and its GROUP BY. Only on inventory: on rental
    -- alone it made the planner keep the fingerprint aggregate local instead (measured on PG 15).
    IF 'inventory' = ANY (tables) AND to_regclass('source.inventory') IS NOT NULL THEN
        ALTER FOREIGN TABLE source.inventory OPTIONS (ADD use_remote_estimate 'true');
    END IF;
    IF 'film' = ANY (tables) THEN
        EXECUTE format(
            'CREATE FOREIGN TABLE source.film (film_id integer NOT NULL, title text NOT NULL, '
            'rental_duration smallint NOT NULL, rental_rate numeric(4,2) NOT NULL) '
            'SERVER pagila_source OPTIONS (schema_name %L, table_name %L)',
            remote_schema, 'film');
    END IF;

    SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
      INTO imported
      FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE n.nspname = 'source' AND c.relkind = 'f';
    RETURN imported;
END
$function$;

COMMENT ON FUNCTION rollup.link_source(text, text, text, text, text, text, text[]) IS
    'Points foreign server pagila_source and the current user''s mapping at the given source and '
    're-imports the listed tables of remote_schema into schema source; returns the tables imported. '
    'Idempotent; called by `rollup run` inside the run''s transaction.';
