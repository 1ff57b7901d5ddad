-- The counted events by film on the Citus workers, so that an incremental run sweeps there too
-- (docs/citus.md). Until now only a full build swept on the workers, from a staging copy of the
-- events it made for the purpose; an incremental run read its touched weeks' events from the rental
-- shadow, which stays on the coordinator (its look-ups by rental id keep change detection
-- proportional to the change), and swept them there. Here, on a Citus coordinator only, that copy
-- becomes a published table, rollup.film_week_event, distributed by film and co-located with the
-- flows: a full build swaps its staging copy in (queries/build/partitions_swapped.sql), an
-- incremental run replaces the events of the rentals it changed
-- (queries/pipeline/11_film_week_event_applied.citus.sql) and sweeps the touched weeks' events where
-- they are (18_film_week_event.incremental.citus.sql).
--
-- rollup.counted_events is the rule for which events a rental counts, written once for the paths
-- that derive events row by row (this migration's fill and step 11 on Citus); steps 18's own forms
-- read the shadow's indexes by range and say the same.
--
-- On plain PostgreSQL only the function is created.

CREATE FUNCTION rollup.counted_events(rental_date timestamptz, rental_week date,
                                      return_date timestamptz, return_week date)
RETURNS TABLE (week date, at timestamptz, delta integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $function$
SELECT rental_week, rental_date, 1 WHERE rental_week IS NOT NULL
UNION ALL
SELECT return_week, return_date, -1 WHERE return_week IS NOT NULL
$function$;
COMMENT ON FUNCTION rollup.counted_events(timestamptz, date, timestamptz, date) IS
    'The events a rental counts in the per-film flows: +1 at rental_date in its week, -1 at return_date in its '
    'week, each only when counted (its week not null: see rollup.rental_shadow). A rental of a copy the '
    'inventory lacks (no film) counts none.';

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        CREATE TABLE rollup.film_week_event (
            film_id   integer NOT NULL,
            store_id  integer NOT NULL,
            week      date NOT NULL,
            at        timestamptz NOT NULL,
            delta     integer NOT NULL CHECK (delta IN (1, -1)),
            rental_id integer NOT NULL
        ) PARTITION BY RANGE (film_id);
        COMMENT ON TABLE rollup.film_week_event IS
            'Citus only: every counted rental (+1) and return (-1) in the film, store and week of its copy, '
            'distributed by film and co-located with rollup.film_week_flow, so the per-film sweep runs on the '
            'workers. Derived from rollup.rental_shadow (rollup.counted_events); internal. Partitioned, with '
            'one partition (in schema rollup_data) that each full build replaces.';
        CREATE TABLE rollup_data.film_week_event PARTITION OF rollup.film_week_event DEFAULT;
        -- the sweep reads a touched (film, store, week)'s events; a changed rental's are replaced
        CREATE INDEX film_week_event_pair_week ON rollup.film_week_event (film_id, store_id, week);
        CREATE INDEX film_week_event_rental ON rollup.film_week_event (rental_id);
        -- filled while still local, then distributed (create_distributed_table moves the rows)
        INSERT INTO rollup.film_week_event (film_id, store_id, week, at, delta, rental_id)
        SELECT s.film_id, s.store_id, e.week, e.at, e.delta, s.rental_id
          FROM rollup.rental_shadow AS s
         CROSS JOIN LATERAL rollup.counted_events(s.rental_date, s.rental_week, s.return_date, s.return_week) AS e
         WHERE s.film_id IS NOT NULL;
        PERFORM create_distributed_table('rollup.film_week_event', 'film_id',
                                         colocate_with => 'rollup.film_week_flow');
    END IF;
END
$$;
