-- Whether the rollup database has been migrated (rollup.etl_run and rollup.build_settings exist)
-- and linked to the source (the foreign table source.rental exists), for the read-only commands.
SELECT to_regclass('rollup.etl_run') IS NOT NULL AS migrated,
       to_regclass('source.rental') IS NOT NULL AS linked;
