-- Whether the source (SOURCE_URL, directly) has the delete capture, and whether this role may read
-- it: no row, none; false, installed but not granted to this role (`rollup capture install
-- --reader ROLE`).
SELECT CASE WHEN has_schema_privilege(n.oid, 'USAGE')
            THEN has_table_privilege('rollup_capture.installation', 'SELECT')
                 AND has_table_privilege('rollup_capture.deleted_rental', 'SELECT')
            ELSE false END AS readable
  FROM pg_namespace AS n
 WHERE n.nspname = 'rollup_capture';
