-- `rollup capture install`: the statement that lets the role the rollup reads the source as ($1,
-- --reader) read the capture, quoted by the server.
SELECT format('GRANT USAGE ON SCHEMA rollup_capture TO %1$I; '
              'GRANT SELECT ON rollup_capture.installation, rollup_capture.deleted_rental TO %1$I',
              $1::text) AS statement;
