-- What the results depend on, from each server.
SELECT current_setting('server_version') AS version,
       current_setting('shared_buffers') AS shared_buffers,
       current_setting('work_mem') AS work_mem,
       current_setting('max_parallel_workers_per_gather') AS parallel_workers,
       current_setting('synchronous_commit') AS synchronous_commit;
