-- Whether this run may learn the source's deletes from its capture log (read through postgres_fdw,
-- in the run's snapshot): the last successful run checked the totals, or read the log, under the
-- same installation (generation), and the log still holds everything since this run's cutoff ($1).
-- No row: the source has no capture.
SELECT i.generation,
       i.generation IS NOT DISTINCT FROM (SELECT r.capture_generation
                                            FROM rollup.etl_run AS r
                                           WHERE r.status = 'succeeded' AND r.source_watermark IS NOT NULL
                                           ORDER BY r.run_id DESC
                                           LIMIT 1)
       AND $1::timestamptz >= i.pruned_before AS trusted
  FROM source_capture.installation AS i;
