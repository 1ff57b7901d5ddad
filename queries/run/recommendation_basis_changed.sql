-- Whether the stored recommendations were made on another basis than this run's (step 26): another
-- service level, or other weeks in the window the method reads (rollup.recommendation_weeks: the
-- spine grew a week, a gap of the source was filled). Then every pair reads other weeks or another
-- level and the run recomputes every one with the full build's statement
-- (26_copies_recommendation_applied.full.sql, which writes the basis with the same expression);
-- else only the pairs whose rentals or copies changed (the .incremental one).
-- $1 service level
SELECT NOT EXISTS (
    SELECT FROM rollup.copies_recommendation_basis AS b
     WHERE b.service_level = $1::float8
       AND b.window_weeks = coalesce((SELECT array_agg(w ORDER BY w)
                                        FROM rollup.recommendation_weeks(
                                                 (SELECT max(week_beginning) FROM rollup.weekly_rentals)) AS w),
                                     '{}')) AS basis_changed;
