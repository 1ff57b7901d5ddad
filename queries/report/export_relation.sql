-- The table or view of schema rollup named $1, quoted by the server for the COPY statement that
-- exports it (COPY takes no parameters). No row: there is no such table or view.
SELECT format('%I.%I', n.nspname, c.relname) AS quoted
  FROM pg_class AS c
  JOIN pg_namespace AS n ON n.oid = c.relnamespace
 WHERE n.nspname = 'rollup' AND c.relname = $1::text AND c.relkind IN ('r', 'v', 'm', 'p');
