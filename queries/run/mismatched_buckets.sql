-- The buckets step 4 must pull whole.
SELECT bucket FROM bucket_fingerprint WHERE differs ORDER BY bucket;
