-- On a Citus coordinator only: JIT compilation off for the rollup database, on the coordinator
-- and, through Citus's propagation of ALTER DATABASE, on every worker. Nothing changes on plain
-- PostgreSQL.
--
-- The runner turns JIT off in its own sessions (queries/run/transaction_settings.sql,
-- build/session_settings.sql: on this data compiling a plan cost more than running it). On Citus
-- those settings stay on the coordinator: each shard's task of a per-film read is planned on its
-- worker, in a session Citus opens, with JIT on and estimates that pass jit_above_cost by orders
-- of magnitude (the view's generate_series and the intermediate results Citus sends are estimated
-- at a thousand rows each). So every task compiled its plan: about 0.7 s a task at 10 million
-- rentals against some 20 ms of work, once per shard. Measured on the 10M bench rollup
-- (docs/citus.md): the copies to hold of every pair 16.8 s with JIT on the workers, 6.2 s without;
-- those of ten films 4.0 s and 0.37 s.
--
-- A database setting reaches every session: the workers' sessions Citus opens, and psql reading
-- the views. It needs the database's owner; run by another role this migration changes nothing
-- and says so (docs/citus.md shows the statement to run as the owner).

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        IF (SELECT pg_has_role(current_user, d.datdba, 'USAGE')
              FROM pg_database AS d WHERE d.datname = current_database()) THEN
            EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
        ELSE
            RAISE WARNING 'JIT left on: % does not own database %; as its owner run: ALTER DATABASE % SET jit = off',
                current_user, current_database(), quote_ident(current_database());
        END IF;
    END IF;
END
$$;
