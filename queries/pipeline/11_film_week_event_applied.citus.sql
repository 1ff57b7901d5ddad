-- Step 11, incremental, on a Citus coordinator (docs/citus.md): the counted events by film on the
-- workers (rollup.film_week_event, migration V17) brought up to date with the rental shadow step
-- 11 just wrote. The rentals whose events can have changed are the changed ones (step 6: new,
-- updated, deleted) and those of a copy that moved to another film or store, or was added or
-- removed (step 7); their events are deleted where they are kept, under the film the shadow held
-- before this run (step 6's old film, step 7's old film), and written again from the shadow
-- (rollup.counted_events; none for a rental deleted, or of a copy the inventory lacks).
--
-- The deletion goes through the work table rollup.film_week_event_replaced (migration V18),
-- distributed by film like the events: each shard deletes its own rentals' events, found by
-- rental id, instead of every shard joining every changed rental (V17's first form: 12.5 s for
-- 50,000 rentals at 10M). The insert goes from the coordinator to the shards of the events' films.
CREATE TEMP TABLE event_rental ON COMMIT DROP AS
SELECT r.rental_id, r.old_film_id AS kept_film_id FROM rental_change AS r
UNION
SELECT s.rental_id, c.old_film_id
  FROM inventory_change AS c
  JOIN rollup.rental_shadow AS s ON s.inventory_id = c.inventory_id
 WHERE (c.old_film_id, c.old_store_id) IS DISTINCT FROM (c.new_film_id, c.new_store_id);

DELETE FROM rollup.film_week_event_replaced;

INSERT INTO rollup.film_week_event_replaced (film_id, rental_id)
SELECT kept_film_id, rental_id FROM event_rental WHERE kept_film_id IS NOT NULL;

-- so that each shard's planner sees a few rows and looks the events up by rental id
ANALYZE rollup.film_week_event_replaced;

DELETE FROM rollup.film_week_event AS e
 USING rollup.film_week_event_replaced AS r
 WHERE e.film_id = r.film_id AND e.rental_id = r.rental_id;

INSERT INTO rollup.film_week_event (film_id, store_id, week, at, delta, rental_id)
SELECT s.film_id, s.store_id, e.week, e.at, e.delta, s.rental_id
  FROM (SELECT DISTINCT rental_id FROM event_rental) AS r
  JOIN rollup.rental_shadow AS s ON s.rental_id = r.rental_id
 CROSS JOIN LATERAL rollup.counted_events(s.rental_date, s.rental_week, s.return_date, s.return_week) AS e
 WHERE s.film_id IS NOT NULL;
