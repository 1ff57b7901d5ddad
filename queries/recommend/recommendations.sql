-- `rollup recommend`: rollup.copies_recommendation with each film's title, by film and store.
-- $1 film id or null for every film, $2 store id or null for every store
SELECT r.film_id, f.title, r.store_id, r.copies_held, r.copies_next_week, r.copies_next_4_weeks,
       r.expected_hours_all_copies_out::float8 AS expected_hours_all_copies_out,
       r.stockout_week_share::float8 AS stockout_week_share,
       r.expected_idle_copies::float8 AS expected_idle_copies,
       r.peak_seen, r.censored_weeks, r.weeks_seen, r.window_from, r.window_through, r.service_level, r.run_id
  FROM rollup.copies_recommendation AS r
  LEFT JOIN rollup.film AS f USING (film_id)
 WHERE ($1::integer IS NULL OR r.film_id = $1::integer)
   AND ($2::integer IS NULL OR r.store_id = $2::integer)
 ORDER BY r.film_id, r.store_id;
