-- Step 25, full build (publishing): the history of the flows (rollup.film_week_flow_history,
-- migrations/V13) brought to the rebuilt rollup.film_week_flow. Only versions that differ are
-- written, as queries/build/history_delta.sql found them before the publishing transaction: the
-- current versions the rebuild does not hold with the same values are closed by this run, and
-- the rebuilt rows no current version held are opened by it. A rebuild that agrees with the
-- published tables (the usual case) writes nothing here. The UPDATE runs first (the outer SELECT
-- reads `closed` first), so the one-current-version index never sees two.
-- $1 run_id
WITH closed AS (
    UPDATE rollup.film_week_flow_history AS h
       SET valid_to_run = $1::bigint
      FROM rollup_build.film_week_flow_closed AS c
     WHERE h.valid_to_run IS NULL
       AND (h.film_id, h.store_id, h.week_beginning) = (c.film_id, c.store_id, c.week_beginning)
    RETURNING 1
),
opened AS (
    INSERT INTO rollup.film_week_flow_history
           (film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
            seconds_at_or_above, valid_from_run)
    SELECT film_id, store_id, week_beginning, rented_rentals, returned_rentals, peak_rise, lowest_level,
           seconds_at_or_above, $1::bigint
      FROM rollup_build.film_week_flow_opened
    RETURNING 1
)
SELECT (SELECT count(*) FROM closed)::integer AS versions_closed,
       (SELECT count(*) FROM opened)::integer AS versions_opened;
