-- Full build, before publishing (on the run's connection, outside the publishing transaction, so
-- the anti-joins over every flow do not hold the published tables locked): what step 25 must
-- write in rollup.film_week_flow_history when the staging flows are published. Only runs write
-- the history and the run lock keeps them one at a time, so the current versions cannot change
-- between here and the publishing transaction.
--   film_week_flow_opened: staging rows no current version holds with the same values;
--   film_week_flow_closed: current versions the staging rows do not hold with the same values.
-- A rebuild of an unchanged source leaves both empty; a first build opens every row.
--
-- Written as anti-joins against a subquery of the current versions (plain PostgreSQL plans them as
-- NOT EXISTS) so that they also run on a Citus coordinator, where the staging flows are
-- distributed and the history is local: there a local table may meet a distributed one only as a
-- subquery of its own, never in a correlated one (docs/citus.md).
CREATE TABLE rollup_build.film_week_flow_opened AS
SELECT w.film_id, w.store_id, w.week_beginning, w.rented_rentals, w.returned_rentals, w.peak_rise,
       w.lowest_level, w.seconds_at_or_above
  FROM rollup_build.film_week_flow AS w
  LEFT JOIN (SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise,
                    lowest_level, seconds_at_or_above
               FROM rollup.film_week_flow_history
              WHERE valid_to_run IS NULL) AS h
         ON (h.film_id, h.store_id, h.week_beginning) = (w.film_id, w.store_id, w.week_beginning)
        AND (h.rented_rentals, h.returned_rentals, h.peak_rise, h.lowest_level, h.seconds_at_or_above)
            = (w.rented_rentals, w.returned_rentals, w.peak_rise, w.lowest_level, w.seconds_at_or_above)
 WHERE h.film_id IS NULL;
CREATE TABLE rollup_build.film_week_flow_closed AS
SELECT h.film_id, h.store_id, h.week_beginning
  FROM (SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise,
               lowest_level, seconds_at_or_above
          FROM rollup.film_week_flow_history
         WHERE valid_to_run IS NULL) AS h
  LEFT JOIN rollup_build.film_week_flow AS w
         ON (w.film_id, w.store_id, w.week_beginning) = (h.film_id, h.store_id, h.week_beginning)
        AND (w.rented_rentals, w.returned_rentals, w.peak_rise, w.lowest_level, w.seconds_at_or_above)
            = (h.rented_rentals, h.returned_rentals, h.peak_rise, h.lowest_level, h.seconds_at_or_above)
 WHERE w.film_id IS NULL;
ANALYZE rollup_build.film_week_flow_opened, rollup_build.film_week_flow_closed;
