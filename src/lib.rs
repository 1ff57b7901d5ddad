//! pagila-rollup keeps a weekly roll-up of the Pagila rental database in a second PostgreSQL
//! database. The Rust side is deliberately thin: it applies migrations, points postgres_fdw at the
//! source and runs the SQL in `queries/` in order: an incremental run in one transaction, a full
//! build in staging tables published by one transaction (src/run/full_build.rs). Every count is
//! computed by PostgreSQL; rows are never collected here (a full build's COPY passes through this
//! process as a byte stream, a few buffers at a time).
pub mod cli;
pub mod commands;
pub mod connection;
pub mod conninfo;
pub mod copy;
pub mod dry_run;
pub mod errors;
pub mod logging;
pub mod migrations;
pub mod progress;
pub mod queries;
pub mod reliability;
pub mod run;
pub mod table;
pub mod tls;
