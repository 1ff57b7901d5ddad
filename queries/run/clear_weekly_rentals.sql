-- A full build recomputes every week from nothing. DELETE rather than TRUNCATE: readers keep
-- seeing the previous numbers until the run commits, instead of queueing behind an exclusive lock.
DELETE FROM rollup.weekly_rentals;
