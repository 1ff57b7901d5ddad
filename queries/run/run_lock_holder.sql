-- Who holds the run lock ($1), for the message of a run that does not wait for it. A bigint
-- advisory lock key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
-- pg_stat_activity shows the client and start of another role's session only to superusers and
-- members of pg_read_all_stats; those columns are null otherwise.
SELECT l.pid,
       a.application_name,
       host(a.client_addr) AS client_addr,
       a.backend_start
  FROM pg_locks AS l
  LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
 WHERE l.locktype = 'advisory'
   AND l.granted
   AND l.objsubid = 1
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND (l.classid::bigint << 32 | l.objid::bigint) = $1::bigint
 LIMIT 1;
