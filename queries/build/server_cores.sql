-- How many cores the rollup server has, when this role may read its /proc/cpuinfo (superusers and
-- members of pg_read_server_files; a server on Linux): null otherwise.
SELECT CASE WHEN pg_has_role(current_user, 'pg_read_server_files', 'MEMBER')
            THEN (SELECT count(*) FROM regexp_matches(pg_read_file('/proc/cpuinfo', 0, 10000000, true),
                                                      '^processor\s', 'gn'))
       END AS cores;
