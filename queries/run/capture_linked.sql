-- Whether the capture's foreign tables are linked (migrations/V10), to compare with what the
-- source has (queries/capture/present.sql).
SELECT to_regclass('source_capture.installation') IS NOT NULL
       AND to_regclass('source_capture.deleted_rental') IS NOT NULL AS linked;
