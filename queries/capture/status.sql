-- `rollup capture status`: whether the source has the capture, and what its log holds. The
-- prune mark is null until `rollup capture prune` sets it.
SELECT i.generation, i.installed_at,
       CASE WHEN i.pruned_before > '-infinity' THEN i.pruned_before END AS pruned_before,
       (SELECT count(*) FROM rollup_capture.deleted_rental) AS logged,
       (SELECT max(deleted_at) FROM rollup_capture.deleted_rental) AS last_logged
  FROM rollup_capture.installation AS i;
