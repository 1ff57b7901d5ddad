-- Generator step 2: the arguments, recorded first; every later step reads them from here.
-- $1 rentals, $2 seed, $3 weeks, $4 last day of the history (exclusive end), $5 stores, $6 customers,
-- $7 dirty (--dirty)
INSERT INTO synthetic.settings (rentals, seed, weeks, history_end, stores, customers, dirty)
VALUES ($1::bigint, $2::bigint, $3::integer, $4::date, $5::integer, $6::integer, $7::boolean);
