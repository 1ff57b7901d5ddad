-- Step 24, full build: every finding into the staging findings (published by
-- queries/build/tables_replaced.sql).
-- $1 run_id
WITH inserted AS (
    INSERT INTO rollup_build.data_issue (rental_id, kind, detail, found_by_run)
    SELECT rental_id, kind, detail, $1 FROM data_issue_found
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS issues_written, 0::bigint AS issues_resolved;
