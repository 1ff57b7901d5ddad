-- After a full build the shadow is all new rows without statistics; the recount and spine queries
-- of this and later runs plan on them, so gather them now (a sample; fast even for millions).
ANALYZE rollup.rental_shadow;
