-- The report `make run` prints: the view in the assignment's shape.
SELECT "WeekBeginning", "OutstandingRentals", "ReturnedRentals" FROM rollup.weekly_report;
