-- Every libpq parameter of the source URL reaches postgres_fdw, or is refused by name.
--
-- rollup.link_source() of V2 gave the foreign server only host, port and dbname, and the user
-- mapping only user and password: an sslmode=verify-full in FDW_SOURCE_URL was dropped, and the
-- rollup server reached the source in whatever TLS mode its libpq defaults to. This replaces it
-- with one that takes the URL's other parameters as `name=value` texts (sslmode, sslrootcert,
-- sslcert, sslkey, application_name, connect_timeout, ...) and puts each where postgres_fdw's own
-- validator accepts it: the user mapping for the ones it takes there (user, password, sslcert,
-- sslkey, sslpassword), else the foreign server, else nowhere but in an error naming it.
--
-- The values are libpq's on the rollup server: file paths (sslrootcert, sslcert, sslkey, sslcrl)
-- are opened by the rollup server's postgres_fdw, as the operating system user running that
-- server, never by the runner. Every value is quoted by the server (format %I, %L), as in V2.

CREATE FUNCTION rollup.source_link_options(
    host text,
    port text,
    dbname text,
    remote_user text,
    remote_password text,
    options text[],
    OUT server_options text[],
    OUT mapping_options text[]
)
LANGUAGE plpgsql
AS $function$
DECLARE
    option text;
    name text;
BEGIN
    server_options := ARRAY['host=' || host, 'port=' || port, 'dbname=' || dbname];
    mapping_options := ARRAY['user=' || remote_user];
    IF remote_password IS NOT NULL THEN
        mapping_options := mapping_options || ('password=' || remote_password);
    END IF;
    FOREACH option IN ARRAY coalesce(options, '{}') LOOP
        name := split_part(option, '=', 1);
        IF strpos(option, '=') = 0 OR name = '' THEN
            RAISE EXCEPTION 'a source link option must be name=value; one is not';
        END IF;
        IF name IN ('host', 'port', 'dbname', 'user', 'password')
           OR EXISTS (SELECT FROM unnest(server_options || mapping_options) AS given
                       WHERE split_part(given, '=', 1) = name) THEN
            RAISE EXCEPTION 'the source link option % is given twice', name;
        END IF;
        -- postgres_fdw's validator knows which options its libpq takes, and where; an option it
        -- does not know raises fdw_invalid_option_name, any other error (a value it refuses, a
        -- superuser-only option) goes through as it is.
        BEGIN
            PERFORM postgres_fdw_validator(ARRAY[option], 'pg_catalog.pg_user_mapping'::regclass);
            mapping_options := mapping_options || option;
            CONTINUE;
        EXCEPTION WHEN fdw_invalid_option_name THEN
            NULL;
        END;
        BEGIN
            PERFORM postgres_fdw_validator(ARRAY[option], 'pg_catalog.pg_foreign_server'::regclass);
            server_options := server_options || option;
        EXCEPTION WHEN fdw_invalid_option_name THEN
            RAISE EXCEPTION USING
                ERRCODE = 'fdw_invalid_option_name',
                MESSAGE = format('the source URL''s parameter %s is not one postgres_fdw on the rollup server takes', name),
                HINT = CASE
                    WHEN name IN ('client_encoding', 'fallback_application_name')
                        THEN format('postgres_fdw sets %s itself; leave it out of the URL', name)
                    ELSE 'the rollup server''s libpq may be older than the parameter; leave it out of the URL'
                END;
        END;
    END LOOP;
    -- fetch_size: 100 rows per round trip is postgres_fdw's default, far too few for bulk reads.
    -- connect_timeout: a source that does not answer fails the run instead of hanging it, unless
    -- the URL says how long to wait.
    server_options := server_options || 'fetch_size=10000'::text;
    IF NOT EXISTS (SELECT FROM unnest(server_options) AS given WHERE given LIKE 'connect\_timeout=%') THEN
        server_options := server_options || 'connect_timeout=10'::text;
    END IF;
END
$function$;

COMMENT ON FUNCTION rollup.source_link_options(text, text, text, text, text, text[]) IS
    'The options (name=value) that rollup.link_source() gives foreign server pagila_source and the current '
    'user''s mapping for a source URL: host, port, dbname and every other libpq parameter on the server, '
    'user, password and the ones postgres_fdw takes only there on the mapping. Raises an error naming a '
    'parameter postgres_fdw does not take. Used by rollup.link_source() and to tell whether a link is unchanged.';

DROP FUNCTION rollup.link_source(text, text, text, text, text, text, text[]);

CREATE FUNCTION rollup.link_source(
    host text,
    port text,
    dbname text,
    remote_user text,
    remote_password text,
    remote_schema text,
    tables text[],
    options text[]
) RETURNS text[]
LANGUAGE plpgsql
AS $function$
DECLARE
    wanted record;
    existing text;
    foreign_table record;
    imported text[];
BEGIN
    SELECT * INTO wanted FROM rollup.source_link_options(host, port, dbname, remote_user, remote_password, options);

    -- The server: created once, then its options replaced in place. DROP SERVER ... CASCADE would be
    -- simpler but would also drop anything built on the foreign tables.
    IF NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = 'pagila_source') THEN
        CREATE SERVER pagila_source FOREIGN DATA WRAPPER postgres_fdw;
    END IF;
    SELECT string_agg(format('DROP %I', split_part(option, '=', 1)), ', ')
      INTO existing
      FROM pg_foreign_server AS s, unnest(s.srvoptions) AS option
     WHERE s.srvname = 'pagila_source';
    EXECUTE format(
        'ALTER SERVER pagila_source OPTIONS (%s)',
        concat_ws(', ', existing,
                  (SELECT string_agg(format('ADD %I %L', split_part(option, '=', 1),
                                            substr(option, strpos(option, '=') + 1)), ', ')
                     FROM unnest(wanted.server_options) AS option)));

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
                  (SELECT string_agg(format('ADD %I %L', split_part(option, '=', 1),
                                            substr(option, strpos(option, '=') + 1)), ', ')
                     FROM unnest(wanted.mapping_options) AS option)));

    -- The foreign tables, as in V2: re-imported every run so a changed source schema is picked
    -- up; film declared with the columns the rollup reads (its `year` domain and `mpaa_rating`
    -- enum do not import); use_remote_estimate on inventory only.
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

COMMENT ON FUNCTION rollup.link_source(text, text, text, text, text, text, text[], text[]) IS
    'Points foreign server pagila_source and the current user''s mapping at the given source, with every '
    'option of rollup.source_link_options(), and re-imports the listed tables of remote_schema into schema '
    'source; returns the tables imported. Idempotent; called by `rollup run` inside the run''s transaction.';
