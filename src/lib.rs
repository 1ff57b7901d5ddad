//! pagila-rollup keeps a weekly roll-up of the Pagila rental database in a second PostgreSQL
//! database. The Rust side is deliberately thin: it applies migrations, points postgres_fdw at the
//! source and runs the SQL in `queries/` in order, inside one transaction. Every count is computed
//! by PostgreSQL; no rental row passes through this process.
pub mod cli;
pub mod commands;
pub mod connection;
pub mod conninfo;
pub mod copy;
pub mod dry_run;
pub mod errors;
pub mod full_build;
pub mod logging;
pub mod migrations;
pub mod pipeline;
pub mod progress;
pub mod reliability;
pub mod table;
pub mod tls;
