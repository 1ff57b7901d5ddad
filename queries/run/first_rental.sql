-- Sent to the source directly (SOURCE_URL), only when --through is given: the earliest rental, to
-- refuse a --through before it. Dates before the week grid's anchor are quarantined by every run,
-- so they do not count as the first rental here either. One index probe on Pagila (its unique
-- index on rental_date, inventory_id, customer_id); a scan of the table where there is no such
-- index.
--
-- The bound restates rollup.week_origin() (migration V12), the one place the anchor is defined:
-- the source has no rollup functions, and this statement takes no parameter to receive it with
-- (the caller, src/commands/run.rs check_through, passes none). It is 00:00 UTC, where the rule's
-- bound, rollup.counted_from, is 00:00 local time: for a time zone east of UTC a rental in the
-- hours between them counts but is not the first rental here, so a --through in its week may be
-- refused. The fix is to pass rollup.counted_from(time zone) as $1; tests/counting_rule.rs lists
-- this file as the one query allowed to write the date.
SELECT min(rental_date) AS first_rental
  FROM public.rental
 WHERE rental_date >= timestamptz '1970-01-05 00:00:00+00';
