-- Full build: the films split into $1 ranges of about equal work for the per-film tasks, weighed
-- by the copies each film has (copies follow demand, so they stand for the rentals to sweep; the
-- inventory is a hundredth of the rentals and already loaded). Each range is one task, largest
-- first; a worker that finishes takes the next, so more ranges than workers even out the load.
-- $1 ranges
SELECT min(film_id) AS from_film, max(film_id) AS to_film
  FROM (SELECT film_id, copies,
               least(floor((running - copies) * $1::integer / total), $1::integer - 1) AS range
          FROM (SELECT film_id, count(*) AS copies,
                       sum(count(*)) OVER (ORDER BY film_id) AS running,
                       sum(count(*)) OVER () AS total
                  FROM rollup_build.inventory_shadow
                 GROUP BY film_id) AS weighed) AS split
 GROUP BY range
 ORDER BY sum(copies) DESC, min(film_id);
