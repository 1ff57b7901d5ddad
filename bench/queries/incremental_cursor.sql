-- The cursor the latest successful run pulled from: the watermark of the successful run before it,
-- minus its lookback.
SELECT previous.source_watermark - latest.lookback AS cutoff, latest.rows_pulled
  FROM (SELECT * FROM rollup.etl_run WHERE status = 'succeeded' ORDER BY run_id DESC LIMIT 1) AS latest
  JOIN LATERAL (SELECT * FROM rollup.etl_run AS r
                 WHERE r.status = 'succeeded' AND r.run_id < latest.run_id
                 ORDER BY r.run_id DESC LIMIT 1) AS previous ON true;
