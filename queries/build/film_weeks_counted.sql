-- Full build on a Citus coordinator, after pipeline/20_film_week_flow_applied.citus.sql: the
-- (film, store) pairs and film weeks the staging flows hold, for rollup.etl_run (one server counts
-- them from step 19's temporary table, which the workers' sweep does not make). The grouping is by
-- film, so it runs on the workers too.
SELECT count(*)::bigint AS film_stores, coalesce(sum(weeks), 0)::bigint AS film_weeks
  FROM (SELECT film_id, store_id, count(*) AS weeks
          FROM rollup_build.film_week_flow
         GROUP BY film_id, store_id) AS pair;
