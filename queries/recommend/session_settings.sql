-- `rollup backtest`'s session: JIT off, as in a run (queries/run/transaction_settings.sql). The walk
-- calls the method once per decision week; the planner's estimates for the per-film view cross
-- jit_above_cost and compiling costs more than running.
SELECT set_config('jit', 'off', false);
