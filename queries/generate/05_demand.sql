-- Generator step 5: the demand the rentals are drawn from, kept in schema `synthetic` so the
-- patterns in the data can be looked up rather than guessed.
--
-- * Popularity is skewed: films are ranked in a seeded random order and weighted 1 / rank^1.1
--   (Zipf), so the top 1% of titles take about a fifth of all rentals and the top 10% about half.
--   4% of films are stocked nowhere (Pagila has such films too).
-- * Stores differ in size (share 0.5 .. 1.5) and in taste (a film's weight varies 0.6 .. 1.4 per
--   store).
-- * Demand is seasonal per category: a yearly cosine around the category's peak day (Horror at the
--   end of October, Children, Family and Animation at Christmas, Action, Sports and Travel in the
--   summer, the others at a seeded day), with a seeded amplitude of 0.15 .. 0.45, plus a shop-wide
--   bump in the last two weeks of December, on a business growing linearly from 0.6 to 1.0 over the
--   history. synthetic.season holds, per category, the cumulative share of its demand before each
--   week: the rentals are placed by inverting it.
-- * Each store stocks enough copies of a film to meet its demand at a seeded utilisation of
--   35 .. 90% of what the copies could carry, so the copy counts follow demand, imperfectly:
--   what a model predicting the copies a store needs has to learn.
CREATE TABLE synthetic.film_demand AS
SELECT f.film_id,
       f.rental_duration,
       (SELECT min(fc.category_id) FROM public.film_category AS fc WHERE fc.film_id = f.film_id) AS category_id,
       row_number() OVER (ORDER BY synthetic.uniform(s.seed, 1, f.film_id), f.film_id) AS popularity_rank,
       synthetic.uniform(s.seed, 2, f.film_id) >= 0.04 AS stocked
  FROM public.film AS f, synthetic.settings AS s;
ALTER TABLE synthetic.film_demand ADD COLUMN weight double precision;
UPDATE synthetic.film_demand SET weight = CASE WHEN stocked THEN 1.0 / popularity_rank ^ 1.1 ELSE 0 END;

CREATE TABLE synthetic.season (
    category_id integer PRIMARY KEY,
    peak_day    integer NOT NULL,
    amplitude   double precision NOT NULL,
    -- the busiest week's demand over the average week's, which bounds the rentals a copy can take
    peak_ratio  double precision NOT NULL,
    -- bounds[k] is the share of the category's demand before week k - 1 (bounds[1] = 0,
    -- bounds[weeks + 1] = 1); stored inline (PLAIN) because every generated rental reads it
    bounds      double precision[] NOT NULL
);
ALTER TABLE synthetic.season ALTER COLUMN bounds SET STORAGE PLAIN;

INSERT INTO synthetic.season (category_id, peak_day, amplitude, peak_ratio, bounds)
WITH category_season AS (
    SELECT c.category_id,
           CASE c.name WHEN 'Horror' THEN 300
                       WHEN 'Children' THEN 355 WHEN 'Family' THEN 355 WHEN 'Animation' THEN 355
                       WHEN 'Action' THEN 200 WHEN 'Sports' THEN 200 WHEN 'Travel' THEN 200
                       ELSE 1 + floor(365 * synthetic.uniform(s.seed, 3, c.category_id))::integer END AS peak_day,
           0.15 + 0.3 * synthetic.uniform(s.seed, 4, c.category_id) AS amplitude
      FROM public.category AS c, synthetic.settings AS s
),
week_intensity AS (
    SELECT cs.category_id, cs.peak_day, cs.amplitude, k,
           (0.6 + 0.4 * k / s.weeks)
           * (1 + cs.amplitude * cos(2 * pi() * (extract(doy FROM d.middle) - cs.peak_day) / 365.25)
                + CASE WHEN extract(doy FROM d.middle) >= 352 THEN 0.3 ELSE 0 END) AS intensity
      FROM category_season AS cs
     CROSS JOIN synthetic.settings AS s
     CROSS JOIN generate_series(0, s.weeks - 1) AS k
     CROSS JOIN LATERAL (SELECT s.history_end - (s.weeks - k) * 7 + 3 AS middle) AS d
),
cumulative AS (
    SELECT category_id, peak_day, amplitude, k, intensity,
           sum(intensity) OVER (PARTITION BY category_id ORDER BY k) AS through_week,
           sum(intensity) OVER (PARTITION BY category_id) AS total,
           count(*) OVER (PARTITION BY category_id) AS weeks
      FROM week_intensity
)
SELECT category_id, peak_day, amplitude,
       max(intensity) * max(weeks) / max(total),
       array_prepend(0::double precision,
                     array_agg(CASE WHEN k = weeks - 1 THEN 1 ELSE through_week / total END ORDER BY k))
  FROM cumulative
 GROUP BY category_id, peak_day, amplitude;

-- Copies per film and store, and how many rentals each copy takes over the history. A copy's
-- rentals never overlap (step 7 places them in consecutive slots of at least 13 days in the
-- busiest week; --dirty only makes some returns late or missing, not the rentals' starts), which
-- caps them at weeks * 7 / (13 * peak_ratio). The expected rentals are
-- rounded along a running sum so the copies take exactly the number of rentals asked for.
CREATE TABLE synthetic.copy_plan AS
WITH store_share AS (
    SELECT st.store_id, 0.5 + synthetic.uniform(s.seed, 5, st.store_id) AS share
      FROM public.store AS st, synthetic.settings AS s
),
pair AS (
    SELECT f.film_id, st.store_id, f.category_id, f.rental_duration,
           f.weight * st.share * (0.6 + 0.8 * synthetic.uniform(s.seed, 6, f.film_id * 1024 + st.store_id)) AS weight,
           0.35 + 0.55 * synthetic.uniform(s.seed, 7, f.film_id * 1024 + st.store_id) AS utilisation,
           floor(s.weeks * 7 / (13 * se.peak_ratio)) AS per_copy_cap
      FROM synthetic.film_demand AS f
      JOIN synthetic.season AS se USING (category_id)
     CROSS JOIN store_share AS st
     CROSS JOIN synthetic.settings AS s
),
stocked AS (
    SELECT p.*, greatest(1, ceil(p.expected / (p.per_copy_cap * p.utilisation)))::integer AS copies
      FROM (SELECT pair.*, s.rentals * pair.weight / sum(pair.weight) OVER () AS expected
              FROM pair, synthetic.settings AS s) AS p
     WHERE p.expected >= 0.5
),
copy AS (
    SELECT st.film_id, st.store_id, st.category_id, st.rental_duration, n AS copy_number,
           st.expected / st.copies AS expected
      FROM stocked AS st, generate_series(1, st.copies) AS n
),
running AS (
    SELECT c.*,
           row_number() OVER (ORDER BY c.film_id, c.store_id, c.copy_number)::integer AS inventory_id,
           sum(c.expected) OVER (ORDER BY c.film_id, c.store_id, c.copy_number) * s.rentals
               / sum(c.expected) OVER () AS through_copy
      FROM copy AS c, synthetic.settings AS s
)
SELECT inventory_id, film_id, store_id, category_id, rental_duration,
       (floor(through_copy + 1e-6) - floor(coalesce(lag(through_copy) OVER (ORDER BY inventory_id), 0) + 1e-6))::integer AS rentals
  FROM running;
