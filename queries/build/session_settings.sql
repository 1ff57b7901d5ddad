-- Full build: the settings of a connection of the parallel phase, for its session (its tasks are
-- several transactions, and an index build none): those of queries/run/transaction_settings.sql
-- but random_page_cost, which is for an incremental run's look-ups: a full build reads every row,
-- in order where an index gives it, else by a scan and a sort.
-- $1 work_mem and maintenance_work_mem (--work-mem)
SELECT set_config('jit', 'off', false),
       set_config('work_mem', $1::text, false),
       set_config('maintenance_work_mem', $1::text, false);
