-- Full build, publishing: the small tables the build computed in staging replace the published
-- ones (their readers wait for the commit, a second or so, then see the new rows). The weekly
-- table is emptied here and computed again from the new day flows by steps 15-17.
TRUNCATE rollup.inventory_shadow, rollup.rental_bucket, rollup.day_flow, rollup.data_issue, rollup.weekly_rentals;
INSERT INTO rollup.inventory_shadow SELECT * FROM rollup_build.inventory_shadow;
INSERT INTO rollup.rental_bucket SELECT * FROM rollup_build.rental_bucket;
INSERT INTO rollup.day_flow SELECT * FROM rollup_build.day_flow;
INSERT INTO rollup.data_issue SELECT * FROM rollup_build.data_issue;
