-- Churn step 2: a week of a shop's activity, sized to the percent of the rentals recorded by step
-- 1 (the latest synthetic.churn row), written the way the application would write it: updates go
-- through Pagila's trigger (last_update = now()), inserts stamp now() themselves.
--   * returns: every open rental due by the week's end (rented at least rental_duration days
--     before it) and rented within the last 60 days (older ones are lost copies), up to half of
--     the changes;
--   * on a --dirty database (synthetic.settings.dirty), a fifth of that half (at least 1) is
--     taken from the returns above and spent on rentals open for over a year, returned during
--     the week (recorded apart, in synthetic.churn.returned_long_open); and the copies of
--     rentals open for over 60 days count as in, as the history rented them (below);
--   * corrections: 0.5% of the changes (at least 1) move the return of a rental returned in the
--     four weeks before the week earlier, by up to half its length;
--   * deletes: 0.1% of the changes (at least 1), rentals anywhere in the history;
--   * new rentals: the rest, of copies that are in, chosen with their film's popularity, rented
--     during the week and returned after 1 .. rental_duration days (still out if that is after
--     the week's end).

-- Databases generated before --dirty existed lack its columns: they are clean.
ALTER TABLE synthetic.settings ADD COLUMN IF NOT EXISTS dirty boolean NOT NULL DEFAULT false;
ALTER TABLE synthetic.churn ADD COLUMN IF NOT EXISTS returned_long_open integer;

CREATE TEMP TABLE churn_plan ON COMMIT DROP AS
SELECT c.churn_id,
       c.week_beginning::timestamp AT TIME ZONE 'UTC' AS from_instant,
       (c.week_beginning + 7)::timestamp AT TIME ZONE 'UTC' AS until_instant,
       s.seed * 7919 + c.churn_id AS seed,
       greatest(1, round(c.percent / 100 * (SELECT count(*) FROM public.rental)))::integer AS changes
  FROM synthetic.churn AS c, synthetic.settings AS s
 ORDER BY c.churn_id DESC
 LIMIT 1;

-- --dirty's part of the plan, in a table of its own: a wider churn_plan is estimated to hold
-- other row counts, and the plan the deletes below are chosen by (and so which rentals they
-- delete) would change on clean databases too.
CREATE TEMP TABLE churn_dirt ON COMMIT DROP AS
SELECT s.dirty, CASE WHEN s.dirty THEN greatest(1, p.changes / 2 / 5) ELSE 0 END AS long_open_returns
  FROM churn_plan AS p, synthetic.settings AS s;

CREATE TEMP TABLE churn_returned ON COMMIT DROP AS
WITH due AS (
    SELECT o.rental_id
      FROM public.rental AS o
      JOIN public.inventory AS i USING (inventory_id)
      JOIN public.film AS f USING (film_id)
     CROSS JOIN churn_plan AS p
     WHERE o.return_date IS NULL
       AND o.rental_date >= p.from_instant - interval '60 days'
       AND o.rental_date + f.rental_duration * interval '1 day' <= p.until_instant
     ORDER BY synthetic.uniform(p.seed, 2, o.rental_id)
     LIMIT (SELECT greatest(0, p.changes / 2 - d.long_open_returns) FROM churn_plan AS p, churn_dirt AS d)
),
returned AS (
    UPDATE public.rental AS r
       SET return_date = greatest(r.rental_date + interval '1 hour',
                                  p.from_instant + (p.until_instant - p.from_instant)
                                                   * synthetic.uniform(p.seed, 1, r.rental_id))
      FROM churn_plan AS p, due AS d
     WHERE r.rental_id = d.rental_id
    RETURNING r.rental_id
)
SELECT rental_id FROM returned;

-- --dirty: rentals open for over a year when the week starts, returned during it. On a clean
-- database the budget is 0 and the LIMIT ends the scan before it starts. The chosen ids are
-- handed over as an array so the update looks them up by key: joined, the planner (which cannot
-- know the LIMIT) hashed the whole rental table first, even for none.
CREATE TEMP TABLE churn_returned_long_open ON COMMIT DROP AS
WITH long_open AS (
    SELECT o.rental_id
      FROM public.rental AS o
     CROSS JOIN churn_plan AS p
     WHERE o.return_date IS NULL
       AND o.rental_date < p.from_instant - interval '1 year'
     ORDER BY synthetic.uniform(p.seed, 10, o.rental_id)
     LIMIT (SELECT long_open_returns FROM churn_dirt)
),
returned AS (
    UPDATE public.rental AS r
       SET return_date = p.from_instant + (p.until_instant - p.from_instant)
                                          * synthetic.uniform(p.seed, 11, r.rental_id)
      FROM churn_plan AS p
     WHERE r.rental_id = ANY (ARRAY(SELECT rental_id FROM long_open))
    RETURNING r.rental_id
)
SELECT rental_id FROM returned;

CREATE TEMP TABLE churn_corrected ON COMMIT DROP AS
WITH recent AS (
    SELECT o.rental_id
      FROM public.rental AS o
     CROSS JOIN churn_plan AS p
     WHERE o.return_date >= p.from_instant - interval '28 days'
       AND o.return_date < p.from_instant
     ORDER BY synthetic.uniform(p.seed, 4, o.rental_id)
     LIMIT (SELECT greatest(1, changes / 200) FROM churn_plan)
),
corrected AS (
    UPDATE public.rental AS r
       SET return_date = r.return_date - (r.return_date - r.rental_date) / 2
                                         * synthetic.uniform(p.seed, 3, r.rental_id)
      FROM churn_plan AS p, recent AS c
     WHERE r.rental_id = c.rental_id
    RETURNING r.rental_id
)
SELECT rental_id FROM corrected;

CREATE TEMP TABLE churn_deleted ON COMMIT DROP AS
WITH chosen AS (
    SELECT DISTINCT r.rental_id
      FROM churn_plan AS p
     CROSS JOIN generate_series(1, 4 * greatest(1, p.changes / 1000)) AS n
      JOIN public.rental AS r
        ON r.rental_id = 1 + floor((SELECT max(rental_id) FROM public.rental)
                                   * synthetic.uniform(p.seed, 5, n))::integer
     LIMIT (SELECT greatest(1, changes / 1000) FROM churn_plan)
),
deleted AS (
    DELETE FROM public.rental AS r USING chosen AS c WHERE r.rental_id = c.rental_id
    RETURNING r.rental_id
)
SELECT rental_id FROM deleted;

-- Copies that are in when the week starts, each with the instant it is free from, drawn in
-- proportion to their film's popularity (an exponential race: -ln(u) / weight, smallest first).
-- On a --dirty database a rental open for over 60 days does not keep its copy out: the history
-- went on renting such copies, and a churn that did not would shun the busiest ones.
CREATE TEMP TABLE churn_rented ON COMMIT DROP AS
WITH free_copy AS (
    SELECT i.inventory_id, i.store_id, f.rental_duration, d.weight,
           (SELECT max(r.return_date) FROM public.rental AS r WHERE r.inventory_id = i.inventory_id) AS free_from
      FROM public.inventory AS i
      JOIN public.film AS f USING (film_id)
      JOIN synthetic.film_demand AS d USING (film_id)
     WHERE d.weight > 0
       AND NOT EXISTS (SELECT FROM public.rental AS r
                        WHERE r.inventory_id = i.inventory_id AND r.return_date IS NULL
                          AND NOT ((SELECT dirty FROM churn_dirt)
                                   AND r.rental_date < (SELECT from_instant FROM churn_plan) - interval '60 days'))
),
in_time AS (
    SELECT * FROM free_copy
     WHERE free_from IS NULL OR free_from < (SELECT until_instant FROM churn_plan)
),
chosen AS (
    SELECT c.*, p.from_instant, p.until_instant, p.seed
      FROM in_time AS c, churn_plan AS p
     ORDER BY -ln(1 - synthetic.uniform(p.seed, 6, c.inventory_id)) / c.weight
     LIMIT greatest(0, (SELECT changes FROM churn_plan)
                       - (SELECT count(*) FROM churn_returned)
                       - (SELECT count(*) FROM churn_returned_long_open)
                       - (SELECT count(*) FROM churn_corrected)
                       - (SELECT count(*) FROM churn_deleted))
),
placed AS (
    SELECT c.inventory_id, c.store_id, c.until_instant, c.seed,
           greatest(coalesce(c.free_from, c.from_instant), c.from_instant)
               + (c.until_instant - greatest(coalesce(c.free_from, c.from_instant), c.from_instant))
                 * synthetic.uniform(c.seed, 7, c.inventory_id) AS rental_date,
           (1 + floor(c.rental_duration * synthetic.uniform(c.seed, 8, c.inventory_id))) * interval '1 day' AS length
      FROM chosen AS c
),
inserted AS (
    INSERT INTO public.rental (rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
    SELECT p.rental_date, p.inventory_id,
           1 + floor(s.customers * synthetic.uniform(p.seed, 9, p.inventory_id) ^ 1.6)::integer,
           CASE WHEN p.rental_date + p.length < p.until_instant THEN p.rental_date + p.length END,
           p.store_id, now()
      FROM placed AS p, synthetic.settings AS s
     ORDER BY p.rental_date
    RETURNING rental_id
)
SELECT rental_id FROM inserted;

UPDATE synthetic.churn AS c
   SET rented = (SELECT count(*) FROM churn_rented),
       returned = (SELECT count(*) FROM churn_returned),
       corrected = (SELECT count(*) FROM churn_corrected),
       deleted = (SELECT count(*) FROM churn_deleted),
       returned_long_open = CASE WHEN (SELECT dirty FROM churn_dirt)
                                 THEN (SELECT count(*) FROM churn_returned_long_open) END
  FROM churn_plan AS p
 WHERE c.churn_id = p.churn_id;
