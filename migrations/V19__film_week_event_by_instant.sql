-- On a Citus coordinator only: the counted events by film on the workers (rollup.film_week_event,
-- migration V17) indexed by their instant, so that an incremental run's day flows come from
-- per-worker partial counts too (docs/citus.md): each shard counts its films' rentals and returns
-- per instant of the days the run touched, reached by range on this index
-- (queries/pipeline/12_instant_count.incremental.citus.sql), instead of the coordinator reading
-- those days from the rental shadow. Citus creates it on every shard; a full build's staging copy
-- gets it with the others (queries/build/staging_index_statements.sql).
--
-- On plain PostgreSQL nothing changes.
DO $$
BEGIN
    IF to_regclass('rollup.film_week_event') IS NOT NULL THEN
        CREATE INDEX film_week_event_at ON rollup.film_week_event (at);
    END IF;
END
$$;
