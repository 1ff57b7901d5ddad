-- Step 2, full build: every rental goes straight into the shadow with COPY instead of through
-- postgres_fdw, streamed from the source by `rollup run`: the source reads and encodes while the
-- rollup server writes, and no temporary copy of the table is made. The film and store of each
-- rental's copy are joined on the source, in the same snapshot as the inventory that
-- 02_full_inventory_shadow copies next (one REPEATABLE READ transaction on the source).
--
-- This query, run on the rollup server, writes the COPY statement the source runs: COPY takes no
-- parameters, so the time zone, the plausible range and the week grid's anchor enter it as
-- literals quoted by format(%L). All three come from the counting rule's functions
-- (rollup.counted_from, rollup.counted_until, rollup.week_origin; migrations V9 and V12); the week
-- is rollup.week_beginning's expression (the source has no such function), evaluated on the
-- source. The anchor is written as ISO text by to_char, so the source reads the same date whatever
-- either server's DateStyle. tests/edge_cases.rs compares the weeks this writes with
-- rollup.week_beginning's. Each column is cast to the shadow's type: binary COPY needs them exact.
-- $1 time zone
SELECT format($copy$
COPY (
    SELECT r.rental_id::integer, r.rental_date::timestamptz, r.return_date::timestamptz,
           r.inventory_id::integer, r.last_update::timestamptz,
           CASE WHEN counted THEN date_bin(interval '7 days', (r.rental_date AT TIME ZONE %1$L)::date::timestamp,
                                           %4$L::timestamp)::date END,
           CASE WHEN counted THEN date_bin(interval '7 days', (r.return_date AT TIME ZONE %1$L)::date::timestamp,
                                           %4$L::timestamp)::date END,
           i.film_id::integer, i.store_id::integer
      FROM public.rental AS r
      LEFT JOIN public.inventory AS i ON i.inventory_id = r.inventory_id,
           LATERAL (SELECT r.rental_date >= %2$L::timestamptz AND r.rental_date < %3$L::timestamptz
                           AND (r.return_date IS NULL
                                OR (r.return_date >= r.rental_date AND r.return_date < %3$L::timestamptz))
                           AS counted) AS judged
) TO STDOUT (FORMAT binary)
$copy$, $1::text, rollup.counted_from($1::text), rollup.counted_until($1::text),
          to_char(rollup.week_origin()::timestamp, 'YYYY-MM-DD')) AS copy_out;
