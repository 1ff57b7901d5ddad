-- `rollup capture prune`: forget log rows older than $1 (an interval). A rollup whose cutoff is
-- older than that no longer trusts the log and checks the totals instead, so pruning never hides
-- a delete; prune well beyond the interval between runs.
WITH pruned AS (
    UPDATE rollup_capture.installation
       SET pruned_before = greatest(pruned_before, now() - $1::text::interval)
    RETURNING pruned_before
)
DELETE FROM rollup_capture.deleted_rental AS d
 USING pruned AS p
 WHERE d.deleted_at < p.pruned_before;
