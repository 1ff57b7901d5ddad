-- Step 26, incremental, on a Citus coordinator (docs/citus.md): the single-server statement,
-- written once in 26_copies_recommendation_applied.incremental.sql, with its `fresh` replaced by
-- the query below when the binary starts (src/queries/mod.rs, which a unit test keeps honest).
-- On one server the filter on each touched pair reaches the pair's own flows through the inlined
-- method; on Citus the method's read of the flows is a PL/pgSQL statement (migration V20) that
-- sees no such filter, and every pair's window was computed to keep the touched ones. Here the
-- method is given the touched pairs' films (migration V21), so the workers read only their flows,
-- and the pairs of those films nobody touched are left out as on one server.
-- $2 service level
fresh AS MATERIALIZED (
    SELECT r.*
      FROM known
     CROSS JOIN LATERAL rollup.copies_recommendation_for(known.through, $2::float8,
                                                         ARRAY(SELECT DISTINCT p.film_id FROM pair AS p)) AS r
     WHERE (r.film_id, r.store_id) IN (SELECT p.film_id, p.store_id FROM pair AS p)
),
