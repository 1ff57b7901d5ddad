-- Churn step 3: what the latest churn did, for the command's report, as (measure, value) rows.
SELECT measure, value
  FROM (SELECT * FROM synthetic.churn ORDER BY churn_id DESC LIMIT 1) AS c,
       LATERAL (VALUES ('days', c.week_beginning || ' .. ' || (c.week_beginning + 6)),
                       ('new rentals', c.rented::text),
                       ('returns', c.returned::text),
                       ('corrected return dates', c.corrected::text),
                       ('deleted rentals', c.deleted::text)) AS summary (measure, value);
