-- On a Citus coordinator only: two work tables an incremental run fills with what it touched,
-- distributed by film and co-located with the events and flows, so the statements that join them
-- to rollup.film_week_event run in each shard against that shard's own touched rows.
--
-- V17 sent the run's temporary tables to the workers as intermediate results instead: every shard
-- then received all of them and joined them whole (at 10M rentals and 0.5 % churn, 12.5 s to
-- replace 50,000 rentals' events and 6.7 s to sweep 2,732 touched weeks, read through a full
-- scan of each shard's events; bench/results-citus.md). Rows in a co-located table reach only the
-- shard of their film, and each shard's join is a few index look-ups.
--
-- Each run empties them before it fills them, inside its transaction (the run lock keeps runs
-- apart), so between runs they hold the last run's rows, which nothing reads.

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        CREATE TABLE rollup.film_week_event_replaced (
            film_id   integer NOT NULL,
            rental_id integer NOT NULL
        );
        COMMENT ON TABLE rollup.film_week_event_replaced IS
            'Citus only, work table of an incremental run: the rentals whose events in rollup.film_week_event '
            'it replaces, by the film they are kept under (queries/pipeline/11_film_week_event_applied.citus.sql).';
        CREATE TABLE rollup.film_week_touched (
            film_id  integer NOT NULL,
            store_id integer NOT NULL,
            week     date NOT NULL
        );
        COMMENT ON TABLE rollup.film_week_touched IS
            'Citus only, work table of an incremental run: the (film, store, week)s it sweeps again '
            '(queries/pipeline/18_film_week_event.incremental.citus.sql).';
        PERFORM create_distributed_table('rollup.film_week_event_replaced', 'film_id',
                                         colocate_with => 'rollup.film_week_flow');
        PERFORM create_distributed_table('rollup.film_week_touched', 'film_id',
                                         colocate_with => 'rollup.film_week_flow');
    END IF;
END
$$;
