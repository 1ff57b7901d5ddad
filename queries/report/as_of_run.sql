-- `rollup export --as-of`: the run asked for ($1, a run id) or the last one that had finished at
-- $2 (a timestamp; one the server cannot read fails with class 22), with its status, and where the recorded
-- history begins (rollup.first_recorded_run, migrations/V13).
WITH wanted AS (
    SELECT coalesce($1::bigint, rollup.published_run($2::text::timestamptz)) AS run_id
)
SELECT w.run_id,
       r.status,
       rollup.first_recorded_run() AS first_recorded_run,
       (SELECT f.finished_at::text FROM rollup.etl_run AS f WHERE f.run_id = rollup.first_recorded_run())
           AS first_recorded_finished_at
  FROM wanted AS w
  LEFT JOIN rollup.etl_run AS r ON r.run_id = w.run_id;
