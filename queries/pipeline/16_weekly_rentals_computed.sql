-- Step 16: the weeks of rollup.weekly_rentals that must be recomputed, with their new values,
-- from the day flows (step 14).
--
-- Nothing before the week of the earliest day step 14 wrote can have changed, so recomputing
-- starts there (or at the first spine week the table lacks, when the spine grew) and runs to the
-- last week: a week's rented and returned counts are the sums of its days; the outstanding
-- columns are running sums seeded with the stored count of the week before the first recomputed
-- one; the peak is the number out at the week's start plus the most any of its days rose above
-- it (the days before in the week carry their net change). With nothing written and the spine
-- unchanged, no week is recomputed. The weekly table has a row a week: a few hundred rows even
-- over a decade, so recomputing to the end is cheap whatever the change.
-- $1 the earliest day step 14 wrote, or null
CREATE TEMP TABLE weekly_rentals_computed ON COMMIT DROP AS
WITH spine_week AS (
    SELECT week::date AS week
      FROM week_spine AS s,
           generate_series(s.first_week, s.last_week, interval '7 days') AS week
),
first_recomputed AS (
    SELECT greatest(s.first_week, earliest.week) AS week
      FROM week_spine AS s,
           (SELECT least(rollup.week_containing($1::date),
                         (SELECT min(w.week) FROM spine_week AS w
                           WHERE NOT EXISTS (SELECT FROM rollup.weekly_rentals AS t
                                              WHERE t.week_beginning = w.week))) AS week) AS earliest
     WHERE earliest.week IS NOT NULL
),
day_in_week AS (
    SELECT rollup.week_containing(d.day) AS week,
           d.rented_rentals, d.returned_rentals,
           -- what the week's earlier days added before this one began, plus how far it rose
           sum(d.rented_rentals - d.returned_rentals)
               OVER (PARTITION BY rollup.week_containing(d.day)
                     ORDER BY d.day ROWS UNBOUNDED PRECEDING)
               - (d.rented_rentals - d.returned_rentals) + d.peak_rise AS rise_in_week
      FROM rollup.day_flow AS d, first_recomputed AS f
     WHERE d.day >= f.week
),
per_week AS (
    SELECT week, sum(rented_rentals) AS rented, sum(returned_rentals) AS returned,
           greatest(max(rise_in_week), 0) AS peak_rise
      FROM day_in_week
     GROUP BY week
),
seed AS (
    SELECT coalesce((SELECT t.outstanding_rentals
                       FROM rollup.weekly_rentals AS t
                      WHERE t.week_beginning = f.week - 7), 0) AS outstanding
      FROM first_recomputed AS f
),
running AS (
    SELECT w.week,
           coalesce(p.rented, 0) AS rented,
           coalesce(p.returned, 0) AS returned,
           coalesce(p.peak_rise, 0) AS peak_rise,
           seed.outstanding + sum(coalesce(p.rented, 0) - coalesce(p.returned, 0))
               OVER (ORDER BY w.week ROWS UNBOUNDED PRECEDING) AS outstanding_rentals
      FROM spine_week AS w
      JOIN first_recomputed AS f ON w.week >= f.week
      LEFT JOIN per_week AS p ON p.week = w.week
     CROSS JOIN seed
)
SELECT r.week AS week_beginning,
       r.rented::bigint AS rented_rentals,
       r.returned::bigint AS returned_rentals,
       (r.outstanding_rentals - r.rented + r.returned)::bigint AS outstanding_at_start,
       r.outstanding_rentals::bigint AS outstanding_rentals,
       (r.outstanding_rentals + r.returned)::bigint AS out_during_week,
       (r.outstanding_rentals - r.rented + r.returned + r.peak_rise)::bigint AS peak_outstanding
  FROM running AS r;
