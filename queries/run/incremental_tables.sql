-- Incremental run: the temporary tables the delete check fills, created empty so that step 6 reads
-- them whichever way the run looked for deletes: bucket_fingerprint (step 4: buckets compared, and
-- whether they differ) and captured_deletion (step 3 with the source's delete capture: the ids it
-- logged since the cutoff).
CREATE TEMP TABLE bucket_fingerprint (bucket integer PRIMARY KEY, differs boolean NOT NULL) ON COMMIT DROP;
CREATE TEMP TABLE captured_deletion (rental_id integer PRIMARY KEY) ON COMMIT DROP;
