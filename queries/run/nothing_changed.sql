-- Whether an incremental run has nothing to recompute: no rental and no copy changed (steps 6 and
-- 7 found none, quarantined rentals judged again included) and the weeks the table must have are
-- the weeks it has (--through did not move the spine's end). Then steps 8-20 and 22-24 would write
-- nothing, and the run skips them; the films (step 21) are refreshed all the same.
-- $1 --through date or null, $2 time zone
SELECT NOT EXISTS (SELECT FROM rental_change)
       AND NOT EXISTS (SELECT FROM inventory_change)
       AND (SELECT (s.first_week, s.last_week) FROM rollup.week_spine($1::date, $2::text) AS s)
           IS NOT DISTINCT FROM (SELECT (min(week_beginning), max(week_beginning)) FROM rollup.weekly_rentals)
           AS nothing_changed;
