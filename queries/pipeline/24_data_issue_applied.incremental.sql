-- Step 24, incremental: the findings of the rentals step 22 judged, written where they changed; a
-- judged rental's findings that no longer hold are dropped. (A deleted rental's findings went with
-- its shadow row, step 10.)
-- $1 run_id
WITH found AS MATERIALIZED (
    SELECT rental_id, kind, detail FROM data_issue_found
),
deleted AS (
    -- ANY(ARRAY(...)) rather than IN: the judged rentals are few, and the findings are reached by
    -- their key whatever the planner guesses about a temporary table it has not analysed.
    DELETE FROM rollup.data_issue AS d
     WHERE d.rental_id = ANY (ARRAY(SELECT rental_id FROM judged_rental))
       AND NOT EXISTS (SELECT FROM found AS f WHERE f.rental_id = d.rental_id AND f.kind = d.kind)
    RETURNING 1
),
upserted AS (
    INSERT INTO rollup.data_issue AS d (rental_id, kind, detail, found_by_run)
    SELECT rental_id, kind, detail, $1 FROM found
    ON CONFLICT (rental_id, kind) DO UPDATE
       SET detail = excluded.detail
     WHERE d.detail IS DISTINCT FROM excluded.detail
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted) AS issues_written,
       (SELECT count(*) FROM deleted) AS issues_resolved;
