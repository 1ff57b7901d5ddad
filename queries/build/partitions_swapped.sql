-- Full build, publishing (in the transaction that commits the build): the staging rental shadow
-- and per-film flows become the partitions of rollup.rental_shadow and rollup.film_week_flow, in
-- place of the published ones, which are dropped. DETACH and ATTACH change the catalog only (the
-- staging tables have the parents' keys, indexes and constraints already), so this takes
-- milliseconds; readers of the parents wait for the commit, then see the new rows. On a Citus
-- coordinator the counted events by film (rollup.film_week_event, migration V17) too.
DO $$
DECLARE
    parent text;
    published regclass;
BEGIN
    FOREACH parent IN ARRAY ARRAY['rental_shadow', 'film_week_flow']
                            || CASE WHEN to_regclass('rollup_build.film_week_event') IS NOT NULL
                                    THEN ARRAY['film_week_event'] ELSE '{}' END LOOP
        FOR published IN
            SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = format('rollup.%I', parent)::regclass
        LOOP
            EXECUTE format('ALTER TABLE rollup.%I DETACH PARTITION %s', parent, published);
            EXECUTE format('DROP TABLE %s', published);
        END LOOP;
        EXECUTE format('ALTER TABLE rollup_build.%I SET SCHEMA rollup_data', parent);
        EXECUTE format('ALTER TABLE rollup.%I ATTACH PARTITION rollup_data.%I DEFAULT', parent, parent);
    END LOOP;
END
$$;
