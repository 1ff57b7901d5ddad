-- Step 23: the data-quality rules, applied to the rentals step 22 judges: a temporary view of the
-- findings they hold. Both kinds of run find the same way; only what they judge and how they write
-- differ (steps 22 and 24).
--   returned_before_rented  return_date before rental_date: left out of every count
--   implausible_date        a date outside the plausible range (rollup.counted_from .. counted_until:
--                           from local midnight of rollup.week_origin() to the end of the 52nd week
--                           after the current one): left out of every count. Its detail names the
--                           anchor as rollup.week_origin() gives it, "52 weeks from now" for the end.
--   unknown_inventory       no inventory row for its copy (the shadow carries no film for it):
--                           counted shop-wide, in no film
--   copy_rented_while_out   an open rental whose copy was rented again (the next counted rental
--                           of the copy) before it was returned: both stay counted
-- One pass over the judged rentals: each rule is a column (its detail, or null), and only the few
-- rentals that break one are turned into rows, one per finding; a full build judges millions.
CREATE TEMP VIEW data_issue_found AS
SELECT j.rental_id, finding.kind, finding.detail
  FROM (SELECT r.rental_id,
               CASE WHEN r.return_date < r.rental_date
                    THEN format('returned %s, before it was rented %s', r.return_date, r.rental_date)
               END AS returned_before_rented,
               CASE WHEN r.rental_week IS NULL AND (r.return_date IS NULL OR r.return_date >= r.rental_date)
                    THEN format('rented %s, returned %s: outside %s .. 52 weeks from now; not counted',
                                r.rental_date, coalesce(r.return_date::text, 'never'),
                                to_char(rollup.week_origin()::timestamp, 'YYYY-MM-DD'))
               END AS implausible_date,
               CASE WHEN r.film_id IS NULL
                    THEN format('inventory_id %s has no inventory row; counted shop-wide, in no film',
                                r.inventory_id)
               END AS unknown_inventory,
               CASE WHEN r.next_rented IS NOT NULL AND (r.return_date IS NULL OR r.return_date > r.next_rented)
                    THEN format('copy %s was rented again %s while this rental (rented %s) was %s',
                                r.inventory_id, r.next_rented, r.rental_date,
                                CASE WHEN r.return_date IS NULL THEN 'never returned'
                                     ELSE 'out until ' || r.return_date END)
               END AS copy_rented_while_out
          FROM judged_rental AS r) AS j
 CROSS JOIN LATERAL (
        VALUES ('returned_before_rented', j.returned_before_rented),
               ('implausible_date', j.implausible_date),
               ('unknown_inventory', j.unknown_inventory),
               ('copy_rented_while_out', j.copy_rented_while_out))
        AS finding (kind, detail)
 WHERE num_nonnulls(j.returned_before_rented, j.implausible_date, j.unknown_inventory, j.copy_rented_while_out) > 0
   AND finding.detail IS NOT NULL;
