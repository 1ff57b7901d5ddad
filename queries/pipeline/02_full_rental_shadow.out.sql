-- Step 2, full build: every rental goes straight into the shadow with COPY instead of through
-- postgres_fdw (steps 2-8), streamed from the source by `rollup run`: the source reads and
-- encodes while the rollup server writes, and no temporary copy of the table is made.
--
-- This query, run on the rollup server, writes the COPY statement the source runs: COPY takes no
-- parameters, so the time zone and the plausible range (step 5's rule: from Monday 1970-01-05 to
-- 53 weeks after the current week, computed here from the run's clock) enter it as literals
-- quoted by format(%L). Each column is cast to the shadow's type: binary COPY needs them exact.
-- $1 time zone
WITH plausible AS (
    SELECT timestamp '1970-01-05' AT TIME ZONE $1::text AS from_instant,
           (date_bin(interval '7 days', now() AT TIME ZONE $1::text, timestamp '1970-01-05')
               + interval '53 weeks') AT TIME ZONE $1::text AS until_instant
)
SELECT format($copy$
COPY (
    SELECT r.rental_id::integer, r.rental_date::timestamptz, r.return_date::timestamptz,
           r.inventory_id::integer, r.last_update::timestamptz,
           CASE WHEN counted THEN date_bin(interval '7 days', r.rental_date AT TIME ZONE %1$L,
                                           timestamp '1970-01-05')::date END,
           CASE WHEN counted THEN date_bin(interval '7 days', r.return_date AT TIME ZONE %1$L,
                                           timestamp '1970-01-05')::date END
      FROM public.rental AS r,
           LATERAL (SELECT r.rental_date >= %2$L::timestamptz AND r.rental_date < %3$L::timestamptz
                           AND (r.return_date IS NULL
                                OR (r.return_date >= r.rental_date AND r.return_date < %3$L::timestamptz))
                           AS counted) AS judged
) TO STDOUT (FORMAT binary)
$copy$, $1::text, p.from_instant, p.until_instant) AS copy_out
  FROM plausible AS p;
