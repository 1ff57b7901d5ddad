-- Step 13: the shop-wide flow of each day step 12 reads: rentals, returns, and the most rentals
-- out at once above the number out when the day began. One pass over the day's events in time
-- order, returns before rentals at the same instant: a rental is out at t when
-- rental_date < t <= return_date, so a copy returned and rented again at one instant is not out
-- twice, and the running sum after an instant's last event is the number out then.
CREATE TEMP TABLE day_flow_computed ON COMMIT DROP AS
SELECT day,
       count(*) FILTER (WHERE delta = 1) AS rented_rentals,
       count(*) FILTER (WHERE delta = -1) AS returned_rentals,
       greatest(max(level), 0) AS peak_rise
  FROM (SELECT day, delta,
               sum(delta) OVER (PARTITION BY day ORDER BY at, delta ROWS UNBOUNDED PRECEDING) AS level
          FROM day_event) AS swept
 GROUP BY day;
