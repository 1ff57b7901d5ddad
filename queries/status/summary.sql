-- What the rollup was built with and the week range it holds.
SELECT s.time_zone,
       s.week_start,
       s.built_at,
       (SELECT min(week_beginning) FROM rollup.weekly_rentals) AS first_week,
       (SELECT max(week_beginning) FROM rollup.weekly_rentals) AS last_week,
       (SELECT count(*) FROM rollup.weekly_rentals) AS weeks
  FROM (SELECT) AS one
  LEFT JOIN rollup.build_settings AS s ON true;
