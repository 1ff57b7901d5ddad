-- How fresh the source is: the newest last_update of each source table the rollup reads that has
-- one, through postgres_fdw (as the user mapping's role; rollup_reader's SELECT suffices).
-- source.film is declared without last_update (V11), so films are not here; runs read them whole.
-- Null for an empty table.
--
-- Written as ORDER BY ... DESC LIMIT 1, not max(): over a foreign table without remote estimates
-- the planner turns max() into its own min/max rewrite, whose LIMIT postgres_fdw does not ship, so
-- the source would sort the whole table and send a fetch_size batch of it for one value. This form
-- ships the LIMIT (Remote SQL: ... ORDER BY last_update DESC NULLS FIRST LIMIT 1), which the source
-- answers with one pass and a top-N sort of one row (Pagila's rental has no index on last_update),
-- or with one probe of an index on last_update where there is one (`rollup generate` makes one).
SELECT (SELECT r.last_update FROM source.rental AS r
         WHERE r.last_update IS NOT NULL ORDER BY r.last_update DESC LIMIT 1) AS rental,
       (SELECT i.last_update FROM source.inventory AS i
         WHERE i.last_update IS NOT NULL ORDER BY i.last_update DESC LIMIT 1) AS inventory,
       (SELECT fc.last_update FROM source.film_category AS fc
         WHERE fc.last_update IS NOT NULL ORDER BY fc.last_update DESC LIMIT 1) AS film_category,
       (SELECT c.last_update FROM source.category AS c
         WHERE c.last_update IS NOT NULL ORDER BY c.last_update DESC LIMIT 1) AS category;
