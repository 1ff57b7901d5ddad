//! Log lines go to stderr (stdout carries reports), filtered by RUST_LOG (default `info`), as text
//! for a person or, with `--log-format json` / ROLLUP_LOG_FORMAT=json, as one JSON object per line
//! for a log collector: `timestamp`, `level`, `target`, `message` and the event's own fields
//! (`step`, `rows`, `elapsed_ms`, ...) at the top level, and `span` naming the enclosing step.
//!
//! refinery logs through the `log` crate; tracing-subscriber's `tracing-log` feature bridges those
//! records into the same output. tokio-postgres reports every server NOTICE at info level, which
//! is noise here ("schema already exists, skipping"), so it is held to warnings unless asked for.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(crate::progress::LogWriter);
    if format == LogFormat::Text && std::io::stderr().is_terminal() {
        crate::progress::enable_bars();
    }
    // try_init: a second initialisation (tests calling into the library) keeps the first.
    let _ = match format {
        LogFormat::Text => builder.with_target(false).with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_span_list(false).try_init(),
    };
}
