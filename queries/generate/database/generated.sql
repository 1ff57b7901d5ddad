-- Whether the connected database was made by `rollup generate` (so it may be replaced or churned).
SELECT to_regclass('synthetic.settings') IS NOT NULL AS generated;
