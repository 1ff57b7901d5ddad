-- Churn step 1: record the churn about to be applied. Its days are the week after the history's
-- end, or after the previous churn's week: each churn moves the shop one week on.
-- $1 percent of the rentals to change
INSERT INTO synthetic.churn (percent, week_beginning)
SELECT $1::double precision,
       coalesce((SELECT max(week_beginning) + 7 FROM synthetic.churn), s.history_end)
  FROM synthetic.settings AS s
RETURNING churn_id, week_beginning;
