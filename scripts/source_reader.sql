-- The role the rollup reads the source as: it can log in and read the six tables the pipeline
-- reads (SOURCE_TABLES in src/queries/mod.rs), nothing else. Run it as a superuser (or the tables'
-- owner) in the source database; it is idempotent. Set the password separately, without putting
-- it on a command line:  ALTER ROLE rollup_reader PASSWORD '...';
-- scripts/dev.sh (make run) runs this file on the local source, and tests/least_privilege.rs on
-- the test cluster; the README shows it for a production source.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rollup_reader') THEN
        CREATE ROLE rollup_reader LOGIN;
    END IF;
END
$$;
ALTER ROLE rollup_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- Belt and braces: every transaction of the role is read-only unless it asks otherwise, and no
-- statement runs longer than half an hour (postgres_fdw's sessions and `rollup run`'s direct
-- connection alike), so a source that hangs fails the run instead of holding it and its lock.
ALTER ROLE rollup_reader SET default_transaction_read_only = on;
ALTER ROLE rollup_reader SET statement_timeout = '30min';

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO rollup_reader', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO rollup_reader;
GRANT SELECT ON public.rental, public.inventory, public.store, public.film, public.film_category,
                public.category
   TO rollup_reader;
