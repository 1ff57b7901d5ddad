-- Settings for the run's transaction only.
-- * JIT off: the planner's cost estimates for the recount subqueries cross jit_above_cost, and
--   compiling them costs ~0.6 s per run, far more than running them (measured on PostgreSQL 15:
--   step 9 took 0.67 s with JIT, under 5 ms without).
-- * work_mem and maintenance_work_mem ($1, --work-mem): a full build sorts and aggregates every
--   rental several times (the sweeps for the peaks, the per-copy history of the data issues) and
--   builds the shadow's indexes; with the server's defaults (4MB, 64MB) those spill to disk.
-- * random_page_cost 1.1: an incremental run reaches the few rows its changes touch in tables of
--   millions by key; with the default 4 the planner judged reading a 10-million-row table whole
--   cheaper than a hundred thousand look-ups, pricing each at four sequential reads where the
--   cache (or an SSD) makes it about one. 1.1 is the usual setting for such storage.
SELECT set_config('jit', 'off', true),
       set_config('random_page_cost', '1.1', true),
       set_config('work_mem', $1::text, true),
       set_config('maintenance_work_mem', $1::text, true);
