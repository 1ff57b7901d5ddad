-- Temporary tables are never analysed automatically. Without statistics the planner takes
-- rental_change for a few rows and plans the steps that join it (touched pairs, recounts, data
-- issues) with nested loops, which a full build, where it holds every rental, cannot afford.
ANALYZE pulled_rental, rental_change, inventory_change;
