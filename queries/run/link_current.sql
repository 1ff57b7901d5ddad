-- Whether rollup.link_source() would change nothing: the foreign server already points at this
-- host, port and database, the user mapping has this user and password, and every table listed
-- is a foreign table in schema `source`. Re-importing them is DDL that took 40 of the 145 ms of
-- a run over an unchanged Pagila, so an incremental run with unchanged settings keeps the link;
-- full builds always re-import (picking up a changed source schema).
-- $1 host, $2 port, $3 database, $4 user, $5 password (null: none), $6 tables
SELECT EXISTS (SELECT FROM pg_foreign_server
                WHERE srvname = 'pagila_source'
                  AND srvoptions @> ARRAY['host=' || $1::text, 'port=' || $2::text, 'dbname=' || $3::text])
   AND EXISTS (SELECT FROM pg_user_mappings AS m
                WHERE m.srvname = 'pagila_source' AND m.usename = current_user
                  AND m.umoptions @> ARRAY['user=' || $4::text]
                  AND CASE WHEN $5::text IS NULL
                           THEN NOT EXISTS (SELECT FROM unnest(m.umoptions) AS o WHERE o LIKE 'password=%')
                           ELSE 'password=' || $5::text = ANY (m.umoptions) END)
   AND (SELECT count(*) FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
         WHERE n.nspname = 'source' AND c.relkind = 'f' AND c.relname = ANY ($6::text[]))
       = cardinality($6::text[]) AS current;
