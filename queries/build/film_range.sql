-- Full build, per task: the films this connection sweeps ($1 .. $2), for the temporary view of
-- pipeline/18_film_week_event.full.sql, which takes no parameters.
CREATE TEMP TABLE film_range ON COMMIT DROP AS SELECT $1::integer AS from_film, $2::integer AS to_film;
