-- Churn step 3: what the latest churn did, for the command's report, as (measure, value) rows;
-- the returns of rentals open for over a year only on a --dirty database.
SELECT measure, value
  FROM (SELECT * FROM synthetic.churn ORDER BY churn_id DESC LIMIT 1) AS c,
       LATERAL (VALUES ('days', c.week_beginning || ' .. ' || (c.week_beginning + 6)),
                       ('new rentals', c.rented::text),
                       ('returns', c.returned::text),
                       ('returns of rentals open over a year', c.returned_long_open::text),
                       ('corrected return dates', c.corrected::text),
                       ('deleted rentals', c.deleted::text)) AS summary (measure, value)
 WHERE value IS NOT NULL;
