-- The server process of this connection, to find its row in pg_stat_progress_create_index.
SELECT pg_backend_pid() AS pid;
