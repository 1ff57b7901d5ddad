-- (Re)links the source's delete capture ($1 true) or unlinks it ($1 false); migrations/V10.
SELECT rollup.link_capture($1::boolean) AS linked;
