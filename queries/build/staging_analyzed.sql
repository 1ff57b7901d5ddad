-- Full build: statistics of the staging tables, gathered before they are published (a partition
-- keeps its own), so the first incremental run after the build plans on them.
ANALYZE rollup_build.rental_shadow, rollup_build.film_week_flow, rollup_build.inventory_shadow,
        rollup_build.data_issue;
