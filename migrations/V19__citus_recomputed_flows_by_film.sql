-- On a Citus coordinator only: the work table an incremental run puts step 19's flows in, distributed
-- by film and co-located with rollup.film_week_flow and V18's rollup.film_week_touched, so step 20's
-- delete, update and insert join only co-located tables on the film and run in each shard against
-- that shard's own rows (queries/pipeline/20_film_week_flow_applied.incremental.citus.sql).
--
-- Step 20 read the run's temporary tables instead: Citus sent both whole to every shard as
-- intermediate results for each of its three writes (at 10M rentals and 0.5 % churn, 1.3 s against
-- 0.07 s on one server; bench/results-citus.md at 222a286).
--
-- Each run empties it before it fills it, inside its transaction (the run lock keeps runs apart),
-- so between runs it holds the last run's flows, which nothing reads. Its columns are those of
-- rollup.film_week_flow but the run, which step 20 sets.

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        CREATE TABLE rollup.film_week_flow_recomputed (
            film_id             integer NOT NULL,
            store_id            integer NOT NULL,
            week_beginning      date NOT NULL,
            rented_rentals      integer NOT NULL,
            returned_rentals    integer NOT NULL,
            peak_rise           integer NOT NULL,
            lowest_level        integer NOT NULL,
            seconds_at_or_above numeric[] NOT NULL
        );
        COMMENT ON TABLE rollup.film_week_flow_recomputed IS
            'Citus only, work table of an incremental run: the flows step 19 recomputed, by film, which step 20 '
            'writes into rollup.film_week_flow (queries/pipeline/20_film_week_flow_recomputed.citus.sql).';
        PERFORM create_distributed_table('rollup.film_week_flow_recomputed', 'film_id',
                                         colocate_with => 'rollup.film_week_flow');
    END IF;
END
$$;
