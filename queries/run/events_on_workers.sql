-- Incremental run: whether the counted events by film are kept on Citus workers
-- (rollup.film_week_event, migration V17, made on a Citus coordinator only). Then step 11 brings
-- them up to date and step 18 reads the touched weeks' events there
-- (pipeline/11_film_week_event_applied.citus.sql, 18_film_week_event.incremental.citus.sql).
SELECT to_regclass('rollup.film_week_event') IS NOT NULL AS on_workers;
