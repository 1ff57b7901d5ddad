-- Read on a connection of its own while another backend of the build runs CREATE INDEX or adds
-- a key: how far that build is (PostgreSQL's own progress report). Blocks while the table is
-- scanned, tuples while the sorted entries are loaded; both totals are 0 in the other phases.
-- $1 the building backend's pid
SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total
  FROM pg_stat_progress_create_index
 WHERE pid = $1;
