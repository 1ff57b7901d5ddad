-- This run's basis for the copies to hold (step 26), and whether the stored recommendations were
-- made on another: another service level, or other weeks in the window the method reads
-- (rollup.recommendation_weeks: the spine grew a week, a gap of the source was filled). Then
-- every pair reads other weeks or another level and the run recomputes every one with the full
-- build's statement (26_copies_recommendation_applied.full.sql, which stores window_weeks as the
-- new basis); else only the pairs whose rentals or copies changed (the .incremental one).
-- $1 service level
WITH this_run AS (
    SELECT $1::float8 AS service_level,
           coalesce((SELECT array_agg(w ORDER BY w)
                       FROM rollup.recommendation_weeks((SELECT max(week_beginning) FROM rollup.weekly_rentals)) AS w),
                    '{}') AS window_weeks
)
SELECT r.window_weeks,
       NOT EXISTS (SELECT FROM rollup.copies_recommendation_basis AS b
                    WHERE b.service_level = r.service_level AND b.window_weeks = r.window_weeks) AS basis_changed
  FROM this_run AS r;
