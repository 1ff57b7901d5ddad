//! Log lines go to stderr (stdout carries reports), filtered by RUST_LOG (default `info`).
//! refinery logs through the `log` crate; tracing-subscriber's `tracing-log` feature bridges those
//! records into the same output. tokio-postgres reports every server NOTICE at info level, which
//! is noise here ("schema already exists, skipping"), so it is held to warnings unless asked for.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
