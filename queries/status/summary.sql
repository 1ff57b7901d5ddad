-- What the rollup holds: build settings, week range and row counts.
SELECT s.time_zone,
       s.week_start,
       s.built_at,
       (SELECT min(week_beginning) FROM rollup.weekly_rentals) AS first_week,
       (SELECT max(week_beginning) FROM rollup.weekly_rentals) AS last_week,
       (SELECT count(*) FROM rollup.weekly_rentals) AS weekly_rentals_rows,
       (SELECT count(*) FROM rollup.film_weekly) AS film_weekly_rows,
       (SELECT count(*) FROM rollup.film) AS film_rows,
       (SELECT count(*) FROM rollup.etl_run) AS etl_run_rows
  FROM (SELECT) AS one
  LEFT JOIN rollup.build_settings AS s ON true;
