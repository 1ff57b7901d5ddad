-- The rollup's own schema. Everything the pipeline writes lives here, so `\dn+` and `\d+ rollup.*`
-- in psql show the whole product and nothing of the source leaks into it.
CREATE SCHEMA IF NOT EXISTS rollup;
COMMENT ON SCHEMA rollup IS
    'Weekly roll-up of the Pagila rental source, maintained by the pagila-rollup runner (`rollup run`).';
