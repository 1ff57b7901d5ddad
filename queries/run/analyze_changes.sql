-- Temporary tables are never analysed automatically. Without statistics the planner takes the
-- change tables for a few rows and plans the steps that join them with nested loops (fine for the
-- handful an incremental run usually has; a run after a large change has many).
ANALYZE rental_change, inventory_change;
