-- Step 13: the shop-wide flow of each day step 12 reads: rentals, returns, and the most rentals
-- out at once above the number out when the day began. A rental is out at t when
-- rental_date < t <= return_date, so a copy returned and rented again at one instant is not out
-- twice, and the number out at an instant is the running sum after its last event. Step 12's rows
-- are single events, or (on Citus) the summed counts of an instant; one pass over them in time
-- order, at one instant those with the most returns for their rentals first: the running sum then
-- falls before it rises, so within an instant it never goes above both the level before it and the
-- level after it, and the highest level of the day is the same whichever rows an instant's events
-- come in.
CREATE TEMP TABLE day_flow_computed ON COMMIT DROP AS
SELECT day,
       sum(rented) AS rented_rentals,
       sum(returned) AS returned_rentals,
       greatest(max(level), 0) AS peak_rise
  FROM (SELECT day, rented, returned,
               sum(rented - returned)
                   OVER (PARTITION BY day ORDER BY at, rented - returned ROWS UNBOUNDED PRECEDING) AS level
          FROM day_event) AS swept
 GROUP BY day;
