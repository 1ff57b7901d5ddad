-- Settings for the run's transaction only. JIT off: the planner's cost estimates for the recount
-- subqueries cross jit_above_cost, and compiling them costs ~0.6 s per run, far more than running
-- them (measured on PostgreSQL 15: step 9 took 0.67 s with JIT, under 5 ms without).
SET LOCAL jit = off;
