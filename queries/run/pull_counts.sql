-- What an incremental run read from the source, for rollup.etl_run.
SELECT (SELECT count(*) FROM pulled_rental) AS rows_pulled,
       (SELECT count(*) FROM bucket_fingerprint)::integer AS buckets_compared,
       (SELECT count(*) FROM bucket_fingerprint WHERE differs)::integer AS buckets_repulled;
