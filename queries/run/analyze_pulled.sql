-- Like analyze_changes.sql, for the tables steps 2-5 filled, before step 6 joins them with the
-- shadow: without statistics the planner takes each for a thousand rows or more and hashes the
-- whole shadow to find the deleted rentals, instead of looking up the few it must.
ANALYZE pulled_rental, bucket_fingerprint, captured_deletion;
