-- After a full build the shadows are all new rows without statistics; the recount, spine and
-- per-film queries of this and later runs plan on them, so gather them now (a sample; fast even
-- for millions).
ANALYZE rollup.rental_shadow, rollup.inventory_shadow;
