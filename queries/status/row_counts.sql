-- Rows in every table (and the per-film view) of schema rollup: the published ones first, then the
-- runs' bookkeeping and the stored flows the views are computed from. A migration that adds a
-- table adds a line here.
SELECT name, rows
  FROM (VALUES (1, 'weekly_rentals', (SELECT count(*) FROM rollup.weekly_rentals)),
               (2, 'film_weekly', (SELECT count(*) FROM rollup.film_weekly)),
               (3, 'film', (SELECT count(*) FROM rollup.film)),
               (4, 'data_issue', (SELECT count(*) FROM rollup.data_issue)),
               (5, 'etl_run', (SELECT count(*) FROM rollup.etl_run)),
               (6, 'build_settings', (SELECT count(*) FROM rollup.build_settings)),
               (7, 'rental_shadow', (SELECT count(*) FROM rollup.rental_shadow)),
               (8, 'inventory_shadow', (SELECT count(*) FROM rollup.inventory_shadow)),
               (9, 'rental_bucket', (SELECT count(*) FROM rollup.rental_bucket)),
               (10, 'day_flow', (SELECT count(*) FROM rollup.day_flow)),
               (11, 'film_week_flow', (SELECT count(*) FROM rollup.film_week_flow)))
       AS counted (position, name, rows)
 ORDER BY position;
