-- Generator step 7: the rentals. Each copy's history (rentals from step 5's plan) is cut into
-- consecutive slots that hold equal shares of its category's seasonal demand (the inverse of
-- synthetic.season's cumulative share), so slots are short in busy weeks and long in quiet ones;
-- one rental is placed in each slot, and never overlaps the next. Within a slot:
-- * the rental lasts 1 .. rental_duration days (85%), or is 1 .. 5 days late (15%), shortened if
--   the slot is too short to hold it;
-- * it starts on a random day of the slot that leaves room for it, between 10:00 and 20:00 UTC,
--   and is returned between 10:00 and 21:00 UTC;
-- * it is still out (return_date null) when its return falls after the end of the history, or,
--   for 1% of copies, because the copy's last rental was never returned.
-- With --dirty (synthetic.settings.dirty), of the rentals that have a next one on their copy:
-- * 2% are returned late, after the next rental of the copy began: on a day drawn from the days
--   that next rental is out (it is recomputed here from its slot, as its own row computes it), so
--   the copy was rented while it was out;
-- * 0.5% are never returned (return_date null), all through the history: at its end many have
--   been open for years, and their copies went on being rented.
-- One draw per rental (stream 18) decides both, so no rental is both; the slots, the start of
-- every rental and so the number of rentals per film, store and week are the same as without
-- --dirty. Without it none of this is evaluated and the rows are the same as before it existed.
-- Rental ids follow rental_date, as in a live system; last_update is the instant of the row's
-- last event (its return, or its rental), which is what Pagila's trigger would have stamped.
-- The work is staged in materialised CTEs: written as one nest of LATERAL subqueries, the planner
-- inlines every reference to an earlier result, and the expressions are evaluated many times over.
SET LOCAL work_mem = '1GB';

INSERT INTO public.rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
WITH slot AS MATERIALIZED (
    -- the copy's j-th slot, in whole days from the start of the history
    SELECT c.inventory_id, c.store_id, c.rental_duration, j = c.rentals - 1 AS last_of_copy, u.key,
           floor(7 * (b.i_from - 1 + (u.q_from - se.bounds[b.i_from])
                                     / (se.bounds[b.i_from + 1] - se.bounds[b.i_from])))::integer AS from_day,
           CASE WHEN j = c.rentals - 1 THEN s.weeks * 7
                ELSE floor(7 * (b.i_to - 1 + (u.q_to - se.bounds[b.i_to])
                                             / (se.bounds[b.i_to + 1] - se.bounds[b.i_to])))::integer
           END AS to_day,
           -- --dirty: the end of the next slot, for a rental to be returned after the next began
           CASE WHEN s.dirty AND j < c.rentals - 1 AND synthetic.uniform(s.seed, 18, u.key) < 0.02
                THEN CASE WHEN j + 1 = c.rentals - 1 THEN s.weeks * 7
                          ELSE floor(7 * (b.i_next - 1 + (u.q_next - se.bounds[b.i_next])
                                                        / (se.bounds[b.i_next + 1] - se.bounds[b.i_next])))::integer
                     END
           END AS next_to_day,
           -- --dirty: never returned
           s.dirty AND j < c.rentals - 1
               AND width_bucket(synthetic.uniform(s.seed, 18, u.key), 0.02, 0.025, 1) = 1 AS never_returned
      FROM synthetic.copy_plan AS c
      JOIN synthetic.season AS se USING (category_id)
     CROSS JOIN synthetic.settings AS s
     CROSS JOIN LATERAL generate_series(0, c.rentals - 1) AS j
     CROSS JOIN LATERAL (SELECT c.inventory_id::bigint * 4096 + j AS key,
                                j::double precision / c.rentals AS q_from,
                                (j + 1)::double precision / c.rentals AS q_to,
                                (j + 2)::double precision / c.rentals AS q_next) AS u
     CROSS JOIN LATERAL (SELECT width_bucket(u.q_from, se.bounds) AS i_from,
                                width_bucket(u.q_to, se.bounds) AS i_to,
                                width_bucket(u.q_next, se.bounds) AS i_next) AS b
     WHERE c.rentals > 0
),
fitted AS MATERIALIZED (
    -- the rental's length in days (0: returned the same day), shortened to leave the slot's last
    -- day free, and its first day; with --dirty, the day of a late return: after the first day of
    -- the next rental (its length and first day computed as its row does, with key + 1), up to
    -- the day it is returned
    SELECT slot.*, fit.length,
           slot.from_day + floor(greatest(slot.to_day - slot.from_day - fit.length, 1)
                                 * synthetic.uniform(s.seed, 12, slot.key))::integer AS start_day,
           CASE WHEN slot.next_to_day IS NOT NULL
                THEN slot.to_day + floor(greatest(slot.next_to_day - slot.to_day - next_fit.length, 1)
                                         * synthetic.uniform(s.seed, 12, slot.key + 1))::integer
                     + 1 + floor(greatest(next_fit.length, 1) * synthetic.uniform(s.seed, 19, slot.key))::integer
           END AS late_return_day
      FROM slot
     CROSS JOIN synthetic.settings AS s
     CROSS JOIN LATERAL (
            SELECT greatest(0, least(
                       CASE WHEN synthetic.uniform(s.seed, 10, slot.key) < 0.15
                            THEN slot.rental_duration + 1 + floor(5 * synthetic.uniform(s.seed, 11, slot.key))
                            ELSE 1 + floor(slot.rental_duration * synthetic.uniform(s.seed, 11, slot.key))
                       END::integer,
                       slot.to_day - slot.from_day - 1)) AS length) AS fit
     CROSS JOIN LATERAL (
            SELECT greatest(0, least(
                       CASE WHEN synthetic.uniform(s.seed, 10, slot.key + 1) < 0.15
                            THEN slot.rental_duration + 1 + floor(5 * synthetic.uniform(s.seed, 11, slot.key + 1))
                            ELSE 1 + floor(slot.rental_duration * synthetic.uniform(s.seed, 11, slot.key + 1))
                       END::integer,
                       slot.next_to_day - slot.to_day - 1)) AS length) AS next_fit
),
placed AS (
    SELECT f.inventory_id, f.store_id,
           h.start_epoch + f.start_day * 86400 + t.start_seconds AS rented_at,
           CASE WHEN f.late_return_day IS NOT NULL
                THEN h.start_epoch + f.late_return_day * 86400 + 36000 + 39600 * t.return_fraction
                ELSE h.start_epoch + (f.start_day + f.length) * 86400
                         + CASE WHEN f.length = 0 THEN t.start_seconds + (75600 - t.start_seconds) * t.return_fraction
                                ELSE 36000 + 39600 * t.return_fraction END
           END AS returned_at,
           h.end_epoch,
           (f.last_of_copy AND synthetic.uniform(s.seed, 17, f.inventory_id) < 0.01) OR f.never_returned AS lost,
           1 + floor(s.customers * synthetic.uniform(s.seed, 16, f.key) ^ 1.6)::integer AS customer_id
      FROM fitted AS f
     CROSS JOIN synthetic.settings AS s
     CROSS JOIN LATERAL (SELECT extract(epoch FROM (s.history_end - s.weeks * 7)::timestamp AT TIME ZONE 'UTC')::double precision AS start_epoch,
                                extract(epoch FROM s.history_end::timestamp AT TIME ZONE 'UTC')::double precision AS end_epoch) AS h
     CROSS JOIN LATERAL (SELECT 36000 + 36000 * synthetic.uniform(s.seed, 13, f.key) AS start_seconds,
                                synthetic.uniform(s.seed, 14, f.key) AS return_fraction) AS t
),
dated AS (
    SELECT inventory_id, store_id, customer_id,
           to_timestamp(rented_at) AS rental_date,
           CASE WHEN returned_at < end_epoch AND NOT lost THEN to_timestamp(returned_at) END AS return_date
      FROM placed
)
SELECT row_number() OVER (ORDER BY rental_date, inventory_id)::integer,
       rental_date, inventory_id, customer_id, return_date, store_id, coalesce(return_date, rental_date)
  FROM dated;
