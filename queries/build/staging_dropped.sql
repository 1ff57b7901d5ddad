-- What an earlier full build left when it did not finish (killed, or failed before it published):
-- its staging schema, with everything in it. A full build starts from nothing, and an incremental
-- run tidies up after one that died.
DROP SCHEMA IF EXISTS rollup_build CASCADE;
