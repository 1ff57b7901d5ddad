-- The film `rollup chart --film` draws, if the rollup knows it. $1 film_id
SELECT film_id, title FROM rollup.film WHERE film_id = $1;
