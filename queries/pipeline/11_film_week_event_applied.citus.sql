-- Step 11, incremental, on a Citus coordinator (docs/citus.md): the counted events by film on the
-- workers (rollup.film_week_event, migration V17) brought up to date with the rental shadow step
-- 11 just wrote. The rentals whose events can have changed are the changed ones (step 6: new,
-- updated, deleted) and those of a copy that moved to another film or store, or was added or
-- removed (step 7); their events are deleted wherever they are and written again from the shadow
-- (rollup.counted_events; none for a rental deleted, or of a copy the inventory lacks). The
-- deletion reaches each shard through the rental id index with the rentals sent as an
-- intermediate result; the insert goes from the coordinator to the shards of the events' films.
CREATE TEMP TABLE event_rental ON COMMIT DROP AS
SELECT r.rental_id FROM rental_change AS r
UNION
SELECT s.rental_id
  FROM inventory_change AS c
  JOIN rollup.rental_shadow AS s ON s.inventory_id = c.inventory_id
 WHERE (c.old_film_id, c.old_store_id) IS DISTINCT FROM (c.new_film_id, c.new_store_id);

DELETE FROM rollup.film_week_event AS e
 USING (SELECT rental_id FROM event_rental) AS r
 WHERE e.rental_id = r.rental_id;

INSERT INTO rollup.film_week_event (film_id, store_id, week, at, delta, rental_id)
SELECT s.film_id, s.store_id, e.week, e.at, e.delta, s.rental_id
  FROM event_rental AS r
  JOIN rollup.rental_shadow AS s ON s.rental_id = r.rental_id
 CROSS JOIN LATERAL rollup.counted_events(s.rental_date, s.rental_week, s.return_date, s.return_week) AS e
 WHERE s.film_id IS NOT NULL;
