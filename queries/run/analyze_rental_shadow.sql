-- Full build, right after the COPY: the rental shadow is all new rows without statistics; the
-- later steps of this run and the next runs plan on them, so gather them now (a sample; fast even
-- for millions). Steps 5-8 of a full build leave it as it is, so this is its only ANALYZE.
ANALYZE rollup.rental_shadow;
