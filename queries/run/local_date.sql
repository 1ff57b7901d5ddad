-- The local date of an instant ($1) in the run's time zone ($2).
SELECT ($1::timestamptz AT TIME ZONE $2::text)::date AS local_date;
