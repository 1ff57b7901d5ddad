-- Per-film demand: the weekly table broken down by film and by the store that owns the copies,
-- with the peak number out at once and the time every copy was out; the shop-wide peak; the
-- copies and films the per-film rows need; data-quality findings; and a model-ready panel.

-- Meaning version: the runner rebuilds from scratch when the definitions its tables were built
-- with are older than its own (here: weekly_rentals gains peak_outstanding, which the existing
-- rows do not have).
ALTER TABLE rollup.build_settings ADD COLUMN definitions integer NOT NULL DEFAULT 1;
COMMENT ON COLUMN rollup.build_settings.definitions IS
    'Version of the definitions the tables were built with; a runner with newer definitions rebuilds.';

-- Null only in rows written before this migration, which the next run rebuilds (definitions).
ALTER TABLE rollup.weekly_rentals ADD COLUMN peak_outstanding bigint
    CHECK (peak_outstanding >= outstanding_at_start AND peak_outstanding >= outstanding_rentals);
COMMENT ON COLUMN rollup.weekly_rentals.peak_outstanding IS
    'The largest number of rentals out at the same moment during the week, counting those already out '
    'when it began. A rental is out at t when rental_date < t <= return_date, so one returned the instant '
    'it is rented is never out.';

ALTER TABLE rollup.etl_run
    ADD COLUMN copies_changed integer,
    ADD COLUMN film_stores_recomputed integer,
    ADD COLUMN film_weeks_recomputed integer,
    ADD COLUMN film_weeks_written integer,
    ADD COLUMN data_issues bigint;
COMMENT ON COLUMN rollup.etl_run.copies_changed IS 'Copies (inventory rows) added, removed or changed since the last run.';
COMMENT ON COLUMN rollup.etl_run.film_stores_recomputed IS '(film, store) pairs whose rows of rollup.film_weekly were recomputed.';
COMMENT ON COLUMN rollup.etl_run.film_weeks_recomputed IS 'Rows of rollup.film_weekly computed by the run.';
COMMENT ON COLUMN rollup.etl_run.film_weeks_written IS 'Rows of rollup.film_weekly inserted, updated or deleted.';
COMMENT ON COLUMN rollup.etl_run.data_issues IS 'Findings in rollup.data_issue after the run.';

-- Every copy as the last run saw it in the source's inventory (pulled whole each run: it is small).
CREATE TABLE rollup.inventory_shadow (
    inventory_id integer PRIMARY KEY,
    film_id      integer NOT NULL,
    store_id     integer NOT NULL,
    last_update  timestamptz NOT NULL
);
CREATE INDEX inventory_shadow_film_store ON rollup.inventory_shadow (film_id, store_id);
CREATE INDEX rental_shadow_inventory ON rollup.rental_shadow (inventory_id);
COMMENT ON TABLE rollup.inventory_shadow IS
    'Copies (source inventory) as the last run saw them: which film, which store. Internal to the '
    'incremental refresh; a copy moved to another store moves its rentals'' counts with it.';

-- Films as the last run saw them, with what a model wants to know about each.
CREATE TABLE rollup.film (
    film_id          integer PRIMARY KEY,
    title            text NOT NULL,
    category         text,
    rental_rate      numeric(4,2) NOT NULL,
    rental_duration  smallint NOT NULL
);
COMMENT ON TABLE rollup.film IS 'Films of the source with their category, refreshed by every run.';
COMMENT ON COLUMN rollup.film.category IS 'The film''s category (the first by name if it has several; null if none).';
COMMENT ON COLUMN rollup.film.rental_rate IS 'Price of one rental.';
COMMENT ON COLUMN rollup.film.rental_duration IS 'Days a rental lasts before it is late.';

CREATE TABLE rollup.film_weekly (
    film_id              integer NOT NULL,
    store_id             integer NOT NULL,
    week_beginning       date NOT NULL,
    rented_rentals       bigint NOT NULL CHECK (rented_rentals >= 0),
    returned_rentals     bigint NOT NULL CHECK (returned_rentals >= 0),
    outstanding_at_start bigint NOT NULL CHECK (outstanding_at_start >= 0),
    outstanding_rentals  bigint NOT NULL CHECK (outstanding_rentals >= 0),
    peak_outstanding     bigint NOT NULL,
    copies               integer NOT NULL CHECK (copies >= 0),
    hours_all_copies_out numeric(7,3) NOT NULL CHECK (hours_all_copies_out BETWEEN 0 AND 169),
    run_id               bigint NOT NULL REFERENCES rollup.etl_run,
    PRIMARY KEY (film_id, store_id, week_beginning),
    CHECK (outstanding_rentals = outstanding_at_start + rented_rentals - returned_rentals),
    CHECK (peak_outstanding >= outstanding_at_start AND peak_outstanding >= outstanding_rentals),
    CHECK (outstanding_at_start + rented_rentals > 0)
);
CREATE INDEX film_weekly_week ON rollup.film_weekly (week_beginning);

COMMENT ON TABLE rollup.film_weekly IS
    'Weekly demand per film and store: one row per (film, store, week) in which a copy of the film owned '
    'by the store was out at some moment. Same weeks, time zone and counting rules as '
    'rollup.weekly_rentals; for every week the rows add up to its rented, returned and outstanding '
    'counts (a rental whose copy is missing from the inventory is counted there only, see rollup.data_issue).';
COMMENT ON COLUMN rollup.film_weekly.store_id IS 'The store that owns the copy (inventory.store_id, as it is now).';
COMMENT ON COLUMN rollup.film_weekly.week_beginning IS 'Monday that starts the week (local date).';
COMMENT ON COLUMN rollup.film_weekly.rented_rentals IS 'Rentals of the film''s copies in this store whose rental_date falls in the week.';
COMMENT ON COLUMN rollup.film_weekly.returned_rentals IS 'Those whose return_date falls in the week.';
COMMENT ON COLUMN rollup.film_weekly.outstanding_at_start IS 'Rentals out when the week began.';
COMMENT ON COLUMN rollup.film_weekly.outstanding_rentals IS 'Rentals out at the end of the week.';
COMMENT ON COLUMN rollup.film_weekly.peak_outstanding IS
    'The largest number out at the same moment during the week, counting those out when it began. It '
    'counts rentals: a copy with two open rentals (see rollup.data_issue) counts twice, so it can exceed copies.';
COMMENT ON COLUMN rollup.film_weekly.copies IS 'Copies of the film the store holds (inventory rows, as it is now).';
COMMENT ON COLUMN rollup.film_weekly.hours_all_copies_out IS
    'Hours of the week during which at least `copies` rentals were out, i.e. every copy (demand could not be '
    'met); 0 when never, and 0 when the store holds no copy.';
COMMENT ON COLUMN rollup.film_weekly.run_id IS 'The rollup.etl_run that last wrote this row.';

CREATE TABLE rollup.data_issue (
    rental_id     integer NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('returned_before_rented', 'implausible_date',
                                                 'unknown_inventory', 'copy_rented_while_out')),
    detail        text NOT NULL,
    found_by_run  bigint NOT NULL REFERENCES rollup.etl_run,
    PRIMARY KEY (rental_id, kind)
);
COMMENT ON TABLE rollup.data_issue IS
    'Source rentals that make no sense, found by the runs and kept up to date by them. Nothing is changed '
    'in the source or silently fixed: returned_before_rented and implausible_date rentals are left out of '
    'every count; unknown_inventory rentals are counted shop-wide but belong to no film; '
    'copy_rented_while_out lists an open rental whose copy was rented again while it was open '
    '(both stay counted).';
COMMENT ON COLUMN rollup.data_issue.kind IS
    'returned_before_rented, implausible_date (before 1970-01-05 or more than 52 weeks ahead), '
    'unknown_inventory (no inventory row for its inventory_id), copy_rented_while_out.';
COMMENT ON COLUMN rollup.data_issue.detail IS 'What was found, with the dates involved.';
COMMENT ON COLUMN rollup.data_issue.found_by_run IS 'The run that found it.';

CREATE VIEW rollup.film_weekly_features AS
WITH held AS (
    SELECT film_id, store_id, count(*)::integer AS copies
      FROM rollup.inventory_shadow
     GROUP BY film_id, store_id
),
spine AS (
    SELECT week::date AS week_beginning
      FROM (SELECT min(week_beginning) AS first_week, max(week_beginning) AS last_week
              FROM rollup.weekly_rentals) AS range,
           generate_series(range.first_week, range.last_week, interval '7 days') AS week
),
panel AS (
    SELECT h.film_id, h.store_id, s.week_beginning, h.copies,
           coalesce(w.rented_rentals, 0) AS rented_rentals,
           coalesce(w.returned_rentals, 0) AS returned_rentals,
           coalesce(w.outstanding_rentals, 0) AS outstanding_rentals,
           coalesce(w.peak_outstanding, 0) AS peak_outstanding,
           coalesce(w.hours_all_copies_out, 0) AS hours_all_copies_out
      FROM held AS h
     CROSS JOIN spine AS s
      LEFT JOIN rollup.film_weekly AS w
             ON w.film_id = h.film_id AND w.store_id = h.store_id AND w.week_beginning = s.week_beginning
)
SELECT p.film_id,
       p.store_id,
       p.week_beginning,
       f.title,
       f.category,
       f.rental_rate,
       f.rental_duration,
       p.copies,
       p.rented_rentals,
       p.returned_rentals,
       p.outstanding_rentals,
       p.peak_outstanding,
       round(p.peak_outstanding::numeric / p.copies, 3) AS utilisation,
       p.hours_all_copies_out,
       coalesce(lag(p.rented_rentals, 1) OVER history, 0) AS rented_previous_week,
       coalesce(sum(p.rented_rentals) OVER (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0)::bigint
           AS rented_previous_4_weeks,
       coalesce(max(p.peak_outstanding) OVER (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0)
           AS peak_previous_4_weeks,
       coalesce(sum(p.hours_all_copies_out) OVER (history ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING), 0)
           AS hours_all_copies_out_previous_4_weeks
  FROM panel AS p
  JOIN rollup.film AS f USING (film_id)
WINDOW history AS (PARTITION BY p.film_id, p.store_id ORDER BY p.week_beginning)
 ORDER BY p.film_id, p.store_id, p.week_beginning;

COMMENT ON VIEW rollup.film_weekly_features IS
    'Model-ready panel: every film a store holds (at least one copy now) x every week of the spine, zeros '
    'included, with lag features computed from earlier weeks only (no leakage from the week itself). '
    'Export with `rollup export film_weekly_features`.';
COMMENT ON COLUMN rollup.film_weekly_features.film_id IS 'Film.';
COMMENT ON COLUMN rollup.film_weekly_features.store_id IS 'Store holding the copies.';
COMMENT ON COLUMN rollup.film_weekly_features.week_beginning IS 'Monday that starts the week (local date).';
COMMENT ON COLUMN rollup.film_weekly_features.title IS 'Film title.';
COMMENT ON COLUMN rollup.film_weekly_features.category IS 'Film category.';
COMMENT ON COLUMN rollup.film_weekly_features.rental_rate IS 'Price of one rental.';
COMMENT ON COLUMN rollup.film_weekly_features.rental_duration IS 'Days a rental lasts before it is late.';
COMMENT ON COLUMN rollup.film_weekly_features.copies IS 'Copies of the film the store holds now.';
COMMENT ON COLUMN rollup.film_weekly_features.rented_rentals IS 'Rentals of the film in the store this week (the usual target).';
COMMENT ON COLUMN rollup.film_weekly_features.returned_rentals IS 'Returns this week.';
COMMENT ON COLUMN rollup.film_weekly_features.outstanding_rentals IS 'Out at the end of the week.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_outstanding IS 'Most out at the same moment this week.';
COMMENT ON COLUMN rollup.film_weekly_features.utilisation IS 'peak_outstanding / copies: 1 or more means every copy was out at some moment.';
COMMENT ON COLUMN rollup.film_weekly_features.hours_all_copies_out IS 'Hours this week with every copy out (unmet demand).';
COMMENT ON COLUMN rollup.film_weekly_features.rented_previous_week IS 'rented_rentals of the week before (lag 1).';
COMMENT ON COLUMN rollup.film_weekly_features.rented_previous_4_weeks IS 'Sum of rented_rentals over the 4 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.peak_previous_4_weeks IS 'Largest peak_outstanding over the 4 weeks before.';
COMMENT ON COLUMN rollup.film_weekly_features.hours_all_copies_out_previous_4_weeks IS 'Sum of hours_all_copies_out over the 4 weeks before.';
