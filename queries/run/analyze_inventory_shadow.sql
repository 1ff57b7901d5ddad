-- Full build, after step 9 refilled the inventory shadow: its statistics, for the per-film steps
-- of this run and the next runs (the rental shadow's were gathered after its COPY).
ANALYZE rollup.inventory_shadow;
